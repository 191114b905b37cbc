// The stages: what each hook binary (and `hookwire hook STAGE`) does.
#pragma once

#include <hookwire/export.h>
#include <hookwire/hooks.h>

namespace hookwire {

/// The entry point of every hook binary: parses argv (options.h), reads the State
/// from stdin, runs the stage, logs, and returns the exit code (0, 1 system failure
/// rolled back, 2 bad input with nothing changed). startContainer is handed to the
/// readiness gate (gate.h).
HOOKWIRE_EXPORT int hook_main(HookName stage, int argc, char** argv);

}  // namespace hookwire
