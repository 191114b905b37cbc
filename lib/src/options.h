// Command-line options shared by every hook, parsed with Boost.Program_options.
#pragma once

#include <hookwire/hooks.h>
#include <hookwire/stage.h>

#include <string>
#include <variant>

namespace hookwire {

/// What the command line asked for: run with these options, or exit at once with
/// this code (after --help, --version, or a bad option, already reported).
using ParsedOptions = std::variant<Options, int>;

/// Parses a hook's argv (argv[0] is the program). Prints --help / --version on
/// stdout and option errors as one line on stderr.
ParsedOptions parse_hook_options(HookName stage, int argc, char** argv);

}  // namespace hookwire
