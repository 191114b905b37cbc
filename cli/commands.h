// The verbs of the `hookwire` command, one function each, and the one parser they share.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hookwire::cli {

namespace po = boost::program_options;

/// Arguments from the verb on; args[0] is the verb itself (the parser skips it).
using Args = std::vector<std::string>;

int run_hook(const Args& args);
int run_validate(const Args& args);
int run_ls(const Args& args);
int run_check(const Args& args);
int run_gc(const Args& args);
int run_reload(const Args& args);
int run_install(const Args& args);
int run_hooks_dir(const Args& args);

/// Prints "hookwire: MESSAGE" on stderr and returns `code`.
int fail(const std::string& message, int code);

/// What one command accepts. Every command line of the CLI is read by parse() from
/// one of these, so options, --help and errors look the same everywhere.
struct CommandLine {
  /// `name` prefixes error messages ("ls: ..."); empty for the top level.
  CommandLine(std::string name, std::string usage) : name(std::move(name)), usage(std::move(usage)) {}

  std::string name;
  std::string usage;                           // printed by --help, above the options
  po::options_description options{"Options"};  // listed by --help
  po::options_description operands;            // the targets of `positional`, not listed
  po::positional_options_description positional;
};

/// Parses args[1..] against `line` plus --help into `vm`. Returns the exit code when
/// the command must stop at once: 0 after printing its help, 2 after a one-line error.
std::optional<int> parse(const Args& args, CommandLine& line, po::variables_map& vm);

/// Adds --state-dir DIR to `line`; `state_dir` starts as the hooks' default.
void add_state_dir(CommandLine& line, std::string& state_dir);

}  // namespace hookwire::cli
