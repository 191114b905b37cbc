// hookwire validate state|config|profile: check input without touching anything.
#include "commands.h"

#include <hookwire/config.h>
#include <hookwire/error.h>
#include <hookwire/profile.h>
#include <hookwire/state.h>
#include <hookwire/validate.h>

#include "src/unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace hookwire::cli {

namespace {

constexpr const char* kUsage =
    "Usage: hookwire validate state [FILE|-]\n"
    "       hookwire validate config FILE [--print]\n"
    "       hookwire validate profile FILE\n\n"
    "Checks an OCI State, a libcontainer config (as runc writes it) or a hookwire profile.\n"
    "Prints nothing and exits 0 when it is valid; otherwise prints one line per problem\n"
    "on stderr and exits 2. With --print, a valid config is also printed on stdout,\n"
    "normalised: only the fields hookwire models, in runc's order and Go's encoding,\n"
    "on one line, so two configs can be compared byte for byte.\n";

constexpr std::size_t kMaxConfigBytes = 4 << 20;

// Reads FILE whole; nullopt (after reporting) when it cannot be read.
std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(path + ": " + std::strerror(errno), 2);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxConfigBytes) {
    fail(path + ": larger than 4 MiB", 2);
    return std::nullopt;
  }
  return text.str();
}

int report(const std::string& path, const std::vector<std::string>& problems) {
  for (const auto& problem : problems) std::cerr << "hookwire: " << path << ": " << problem << "\n";
  return problems.empty() ? 0 : 2;
}

int validate_state(const std::string& path) {
  if (path == "-") {
    read_state(STDIN_FILENO);
    return 0;
  }
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(path + ": " + std::strerror(errno), 2);
  read_state(fd.get());
  return 0;
}

// With `print`, a valid config goes to stdout as runc would write it: the modelled
// fields in Go's order and encoding, so configs can be compared byte for byte.
int validate_config(const std::string& path, bool print) {
  auto text = slurp(path);
  if (!text) return 2;
  Config config = parse_config(*text);
  auto problems = validate(config);
  if (!problems.empty() || !print) return report(path, problems);
  std::cout << to_json(config) << "\n";
  return 0;
}

int validate_profile(const std::string& path) {
  auto text = slurp(path);
  if (!text) return 2;
  return report(path, validate(read_profile(*text, "file")));
}

}  // namespace

int run_validate(const Args& args) {
  CommandLine line("validate", kUsage);
  std::string what, path;
  line.options.add_options()("print", "config: print the valid config on stdout, normalised as runc writes it");
  line.operands.add_options()("what", po::value(&what))("file", po::value(&path));
  line.positional.add("what", 1).add("file", 1);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  bool print = vm.count("print") > 0;
  if (print && what != "config") return fail("validate: --print is for 'validate config FILE' only", 2);
  try {
    if (what == "state") return validate_state(path.empty() ? "-" : path);
    if ((what == "config" || what == "profile") && path.empty())
      return fail("validate: which file? (hookwire validate " + what + " FILE)", 2);
    if (what == "config") return validate_config(path, print);
    if (what == "profile") return validate_profile(path);
  } catch (const Error& e) {
    return fail(e.what(), e.exit_code());
  }
  if (!what.empty()) return fail("validate: unknown kind '" + what + "' (state, config or profile)", 2);
  std::cerr << kUsage;
  return 2;
}

}  // namespace hookwire::cli
