// hookwire hook STAGE: the same code the hook binaries run, for testing by hand.
#include "commands.h"

#include <hookwire/hooks.h>
#include <hookwire/stage.h>

#include <iostream>

namespace hookwire::cli {

namespace {

constexpr const char* kUsage =
    "Usage: hookwire hook STAGE [OPTION]... < STATE\n\n"
    "Runs one stage exactly as its hook binary would. STAGE is prestart, createRuntime,\n"
    "createContainer, startContainer, poststart or poststop (or create-runtime, ...).\n"
    "The options after STAGE are the stage's own: 'hookwire hook STAGE --help' lists them.\n";

}  // namespace

int run_hook(const Args& args) {
  if (args.size() < 2) {
    std::cerr << kUsage;
    return 2;
  }
  // Only STAGE is the command's own; what follows is the stage's, parsed by the
  // stage itself (hook_main), exactly as its binary parses it.
  CommandLine line("hook", kUsage);
  std::string stage_word;
  line.operands.add_options()("stage", po::value(&stage_word));
  line.positional.add("stage", 1);
  po::variables_map vm;
  if (auto code = parse({args[0], args[1]}, line, vm)) return *code;
  auto stage = hook_name_from(stage_word);
  if (!stage) return fail("hook: unknown stage '" + stage_word + "'", 2);
  // argv for the stage: its binary's name, then the options after STAGE.
  std::vector<std::string> storage = {tool_name(*stage)};
  storage.insert(storage.end(), args.begin() + 2, args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return hook_main(*stage, static_cast<int>(storage.size()), argv.data());
}

}  // namespace hookwire::cli
