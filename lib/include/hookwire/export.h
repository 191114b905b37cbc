// HOOKWIRE_EXPORT marks the public API: what libhookwire.so exports.
#pragma once

// The library is compiled with hidden visibility (lib/meson.build), so a symbol
// leaves libhookwire.so only when its declaration here says so: the exported API
// is the reviewed list of marked declarations in these headers, not whatever
// happens to be non-static in lib/src. For a user of the library the marker
// changes nothing: "default" is already what they compile with.
//
// HOOKWIRE_HIDDEN keeps a member class of an exported class (a pimpl's Impl)
// out again: members inherit their class's visibility.
#if defined(__GNUC__)
#define HOOKWIRE_EXPORT __attribute__((visibility("default")))
#define HOOKWIRE_HIDDEN __attribute__((visibility("hidden")))
#else
#define HOOKWIRE_EXPORT
#define HOOKWIRE_HIDDEN
#endif
