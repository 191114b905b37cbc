// The OCI State that runtimes write on a hook's stdin.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <hookwire/export.h>

namespace hookwire {

/// The State as the runtime sent it. Parsing validates every field it models and
/// tolerates what runc, crun and podman really send (see docs/runtimes.md).
struct HOOKWIRE_EXPORT State {
  std::string oci_version;
  std::string id;
  std::string status;      // creating, created, starting, running, stopped, paused
  std::optional<int> pid;  // absent or 0 both mean "no pid"
  std::string bundle;      // absolute path, or empty when absent
  std::map<std::string, std::string> annotations;
  std::string raw;  // the exact bytes received, passed on to chained hooks

  /// The annotation `key`, or nullopt.
  std::optional<std::string> annotation(std::string_view key) const;
};

/// The most a hook reads from stdin; more is bad input.
inline constexpr std::size_t kMaxStateBytes = 1 << 20;

/// Parses and validates one State. Throws Error::input with a one-line message
/// naming what is wrong ("state: ...").
HOOKWIRE_EXPORT State parse_state(std::string_view json);

/// Reads `fd` to EOF (at most kMaxStateBytes) and parses it.
HOOKWIRE_EXPORT State read_state(int fd);

/// Whether `id` is usable as a container id: it also names files in the state dir,
/// so it must never be able to escape it.
HOOKWIRE_EXPORT bool is_valid_container_id(std::string_view id);

/// `id` shortened for messages: ids over 16 bytes become their first 12 and "…".
HOOKWIRE_EXPORT std::string short_id(std::string_view id);

}  // namespace hookwire
