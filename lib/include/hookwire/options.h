// The command line every hook takes (--config, --network, --state-dir, ...).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include <hookwire/export.h>
#include <hookwire/hooks.h>

namespace hookwire {

/// The options every hook takes.
struct HOOKWIRE_EXPORT Options {
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
HOOKWIRE_EXPORT Options default_options();

/// What the command line asked for: run with these options, or exit at once with
/// this code (after --help, --version, or a bad option, already reported).
using ParsedOptions = std::variant<Options, int>;

/// Parses a hook's argv (argv[0] is the program). Prints --help / --version on
/// stdout and option errors as one line on stderr.
HOOKWIRE_EXPORT ParsedOptions parse_hook_options(HookName stage, int argc, char** argv);

}  // namespace hookwire
