// Reading profiles from files, with the checks that keep a tenant from planting
// one: /etc/hookwire/networks/NAME.json, or the built-in default.
#pragma once

#include <string>
#include <string_view>

#include <hookwire/export.h>
#include <hookwire/profile.h>

namespace hookwire {

/// Reads a profile file, refusing one that is not a regular file owned by root and
/// unwritable by group and others, that is a symlink, that sits in a directory
/// writable by others, or that is over 1 MiB. Throws Error::input.
HOOKWIRE_EXPORT Profile load_profile_file(const std::string& path, std::string name);

/// Finds profile `name` in `dir`: DIR/NAME.json, else the built-in default for
/// "default", else Error::input ("profile \"x\" not found in DIR").
HOOKWIRE_EXPORT Profile load_profile(const std::string& dir, std::string_view name);

}  // namespace hookwire
