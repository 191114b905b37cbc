// libcontainer/configs' Command: an external program a hook runs, with the State
// on its stdin. Started through Boost.Process without a shell, judged as runc 1.1 judges it.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/state.h>

namespace hookwire {

/// An external program: libcontainer's Command. `timeout` is what Go's
/// *time.Duration holds (nanoseconds); nullopt (JSON null) or zero means none.
struct HOOKWIRE_EXPORT Command {
  std::string path;
  std::vector<std::string> args;  // argv; empty means {path}
  std::vector<std::string> env;   // KEY=VALUE; empty means inherit
  std::string dir;                // working directory; empty means inherit
  std::optional<std::chrono::nanoseconds> timeout;

  /// The most of stdout and of stderr kept for error messages.
  static constexpr std::size_t kMaxCapture = 64 * 1024;

  /// Starts the program with the State JSON (state.raw when set) on stdin, waits
  /// for it within `timeout`, and throws on failure:
  ///   "error running hook: exit status 3, stdout: ..., stderr: ..."
  ///   "hook ran past specified timeout of 1.0s"
  /// On timeout the hook's whole process group is killed.
  void run(const State& state) const;

  bool operator==(const Command&) const = default;
};

}  // namespace hookwire
