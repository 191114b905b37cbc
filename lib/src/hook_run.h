// The frame every hook invocation runs in, whatever its stage: the command line,
// the log, the State on stdin, and the one place where what a stage throws becomes
// a log line and an exit code. hook_main and gate_main both run in it. Internal.
#pragma once

#include <functional>

#include <hookwire/hooks.h>
#include <hookwire/options.h>
#include <hookwire/state.h>

#include "log.h"

namespace hookwire {

/// What a stage does once its options and State are read. Returns the exit code.
using StageBody = std::function<int(const Options& options, const State& state, Logger& log)>;

/// Parses argv, opens the log as tool_name(stage), reads the State from stdin and
/// runs `body`. Returns what --help, --version or a bad option called for, else
/// body's exit code; when anything throws, logs its message as one line and
/// returns Error::exit_code() (1 for any other exception).
int run_hook(HookName stage, int argc, char** argv, const StageBody& body);

}  // namespace hookwire
