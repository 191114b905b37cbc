// Starting a command hook's process: the part of Command::run that talks to
// Boost.Process. Internal to the library.
#pragma once

#include <string>
#include <sys/types.h>

#include <hookwire/command.h>

#include "unique_fd.h"

namespace hookwire::command_impl {

/// A started hook: its pid (also its process group id) and our ends of its stdio
/// pipes, all non-blocking and close-on-exec.
struct SpawnedHook {
  pid_t pid = -1;
  UniqueFd stdin_sink;
  UniqueFd stdout_source;
  UniqueFd stderr_source;
};

/// Starts `command` in a process group of its own, with pipes on fds 0, 1 and 2 and
/// no other fd. Throws Error::failed("fork/exec PATH: reason") like Go's os/exec.
SpawnedHook spawn_hook(const Command& command);

}  // namespace hookwire::command_impl
