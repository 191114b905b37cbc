// The stages: what each hook binary (and `hookwire hook STAGE`) does.
#pragma once

#include <optional>
#include <string>

#include <hookwire/hooks.h>
#include <hookwire/state.h>

namespace hookwire {

/// The options every hook takes.
struct Options {
  std::optional<std::string> config_file;  // --config FILE
  std::string config_dir;                  // --config-dir DIR
  std::optional<std::string> network;      // --network NAME
  std::string state_dir;                   // --state-dir DIR, env HOOKWIRE_STATE_DIR
  std::string log_file;                    // --log-file FILE
  std::string log_level = "info";          // --log-level
  double timeout_seconds = 5.0;            // --timeout (start-container)
};

/// The built-in defaults: /etc/hookwire/networks and /run/hookwire (or
/// HOOKWIRE_STATE_DIR when set).
Options default_options();

/// The entry point of every hook binary: parses argv, reads the State from stdin,
/// runs the stage, logs, and returns the exit code (0, 1 system failure rolled
/// back, 2 bad input with nothing changed).
int hook_main(HookName stage, int argc, char** argv);

/// The startContainer readiness gate's entry point. Kept apart from hook_main so
/// its statically linked binary carries only what the gate needs.
int gate_main(int argc, char** argv);

/// The name a stage's binary has: "hookwire-create-runtime".
std::string tool_name(HookName stage);

}  // namespace hookwire
