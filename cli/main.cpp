// hookwire: run hooks by hand, validate input, list, check and repair.
#include "commands.h"

#include "build_config.h"

#include <iostream>
#include <map>

namespace {

using namespace hookwire::cli;

constexpr const char* kUsage = R"(Usage: hookwire COMMAND [OPTION]...

Wire OCI containers to a bridge over netlink, and look after what was wired.

Commands:
  hook STAGE [OPTION]...       run a hook stage by hand, the State on stdin; STAGE is an OCI
                               name (createRuntime) or a kebab-case one (create-runtime)
  validate state [FILE|-]      check an OCI State; prints nothing when it is valid
  validate config FILE [--print]
                               check a libcontainer config (as runc writes it); --print
                               prints it normalised, as runc would write it
  validate profile FILE        check a hookwire network profile
  ls [--json]                  list the wired containers
  check [ID]                   compare a container's links, addresses, routes, host ports and
                               firewall elements with its record (without ID: all of them)
  gc                           release what containers that are gone left behind
  reload                       rebuild hookwire's nftables table from the ledger
  install --bundle DIR [--network NAME]
                               add hookwire's hooks to a bundle's config.json (runc, crun)
  hooks-dir DIR                write podman/CRI-O hooks.d files into DIR
  version                      show the version (also --version, -V)
  help                         show this list (also --help, -h)

Run 'hookwire COMMAND --help' for a command's options.

Exit status: 0 success; 1 a system operation failed, or check found differences;
2 bad input (nothing was changed).
)";

int show_version() {
  std::cout << "hookwire " << HOOKWIRE_VERSION << "\n";
  return 0;
}

int run_version(const Args& args) {
  CommandLine line("version", "Usage: hookwire version\n\nShows the version (also: hookwire --version, -V).\n");
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  return show_version();
}

int run_help(const Args& args) {
  CommandLine line("help", "Usage: hookwire help\n\nLists the commands (also: hookwire --help, -h).\n");
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  std::cout << kUsage;
  return 0;
}

const std::map<std::string, int (*)(const Args&)> kCommands = {
    {"hook", run_hook},       {"validate", run_validate}, {"ls", run_ls},           {"check", run_check},
    {"gc", run_gc},           {"reload", run_reload},     {"install", run_install}, {"hooks-dir", run_hooks_dir},
    {"version", run_version}, {"help", run_help},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  // The top level reads only the first word: a command, --help or --version.
  // Everything after the command is that command's, read by its own parse().
  CommandLine line("", kUsage);
  std::string command;
  line.options.add_options()("version,V", "show the version and exit");
  line.operands.add_options()("command", po::value(&command));
  line.positional.add("command", 1);
  po::variables_map vm;
  if (auto code = parse({argv[0], argv[1]}, line, vm)) return *code;
  if (vm.count("version")) return show_version();
  auto found = kCommands.find(command);
  if (found == kCommands.end()) return fail("unknown command '" + command + "' (see hookwire --help)", 2);
  return found->second(Args(argv + 1, argv + argc));
}
