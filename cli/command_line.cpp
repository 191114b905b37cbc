// The CLI's one argument parser: Boost.Program_options, the same way for every command.
#include "commands.h"

#include <hookwire/options.h>

#include <iostream>

namespace hookwire::cli {

int fail(const std::string& message, int code) {
  std::cerr << "hookwire: " << message << "\n";
  return code;
}

std::optional<int> parse(const Args& args, CommandLine& line, po::variables_map& vm) {
  line.options.add_options()("help,h", "show this help and exit");
  po::options_description all;
  all.add(line.options).add(line.operands);
  try {
    po::command_line_parser parser(std::vector<std::string>(args.begin() + 1, args.end()));
    parser.options(all).positional(line.positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return fail((line.name.empty() ? "" : line.name + ": ") + e.what(), 2);
  }
  if (vm.count("help")) {
    std::cout << line.usage << "\n" << line.options;
    return 0;
  }
  return std::nullopt;
}

void add_state_dir(CommandLine& line, std::string& state_dir) {
  state_dir = default_options().state_dir;
  line.options.add_options()("state-dir", po::value(&state_dir)->value_name("DIR"),
                             "the state dir (default /run/hookwire, or $HOOKWIRE_STATE_DIR)");
}

}  // namespace hookwire::cli
