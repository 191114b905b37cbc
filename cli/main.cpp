// hookwire: run hooks by hand, validate input, list, check and repair.
#include "commands.h"

#include "build_config.h"

#include <cstring>
#include <iostream>

namespace {

constexpr const char* kUsage = R"(Usage: hookwire COMMAND [OPTION]...

Wire OCI containers to a bridge over netlink, and look after what was wired.

Commands:
  hook STAGE [OPTION]...       run a hook stage by hand, the State on stdin; STAGE is an OCI
                               name (createRuntime) or a kebab-case one (create-runtime)
  validate state [FILE|-]      check an OCI State; prints nothing when it is valid
  validate config FILE         check a libcontainer config (as runc writes it)
  validate profile FILE        check a hookwire network profile
  ls [--json]                  list the wired containers
  check ID                     compare a container's links, addresses and routes with its record
  gc                           release what containers that are gone left behind
  install --bundle DIR [--network NAME]
                               add hookwire's hooks to a bundle's config.json (runc, crun)
  hooks-dir DIR                write podman/CRI-O hooks.d files into DIR
  version                      show the version

Run 'hookwire COMMAND --help' for a command's options.

Exit status: 0 success; 1 a system operation failed, or check found differences;
2 bad input (nothing was changed).
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace hookwire::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string verb = argv[1];
  Args args(argv + 1, argv + argc);
  if (verb == "-h" || verb == "--help" || verb == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (verb == "version" || verb == "--version" || verb == "-V") {
    std::cout << "hookwire " << HOOKWIRE_VERSION << "\n";
    return 0;
  }
  if (verb == "hook") return run_hook(args);
  if (verb == "validate") return run_validate(args);
  if (verb == "ls") return run_ls(args);
  if (verb == "check") return run_check(args);
  if (verb == "gc") return run_gc(args);
  if (verb == "install") return run_install(args);
  if (verb == "hooks-dir") return run_hooks_dir(args);
  return fail("unknown command '" + verb + "' (see hookwire --help)", 2);
}
