// hookwire hook STAGE: the same code the hook binaries run, for testing by hand.
#include "commands.h"

#include <hookwire/hooks.h>
#include <hookwire/stage.h>

#include <iostream>

namespace hookwire::cli {

int fail(const std::string& message, int code) {
  std::cerr << "hookwire: " << message << "\n";
  return code;
}

int run_hook(const Args& args) {
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::ostream& out = args.size() < 2 ? std::cerr : std::cout;
    out << "Usage: hookwire hook STAGE [OPTION]... < STATE\n\n"
           "Runs one stage exactly as its hook binary would. STAGE is prestart, createRuntime,\n"
           "createContainer, startContainer, poststart or poststop (or create-runtime, ...).\n"
           "'hookwire hook STAGE --help' lists the stage's options.\n";
    return args.size() < 2 ? 2 : 0;
  }
  auto stage = hook_name_from(args[1]);
  if (!stage) return fail("hook: unknown stage '" + args[1] + "'", 2);
  // argv for the stage: its binary's name, then the options after STAGE.
  std::vector<std::string> storage = {tool_name(*stage)};
  storage.insert(storage.end(), args.begin() + 2, args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return hook_main(*stage, static_cast<int>(storage.size()), argv.data());
}

}  // namespace hookwire::cli
