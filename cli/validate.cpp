// hookwire validate state|config|profile: check input without touching anything.
#include "commands.h"

#include <hookwire/config.h>
#include <hookwire/error.h>
#include <hookwire/profile.h>
#include <hookwire/state.h>

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
    "       hookwire validate config FILE\n"
    "       hookwire validate profile FILE\n\n"
    "Checks an OCI State, a libcontainer config (as runc writes it) or a hookwire profile.\n"
    "Prints nothing and exits 0 when it is valid; otherwise prints one line per problem\n"
    "on stderr and exits 2.\n";

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

}  // namespace

int run_validate(const Args& args) {
  if (args.size() >= 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() < 2 || args.size() > 3) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string& what = args[1];
  try {
    if (what == "state") {
      std::string path = args.size() == 3 ? args[2] : "-";
      if (path == "-") {
        read_state(STDIN_FILENO);
        return 0;
      }
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return fail(path + ": " + std::strerror(errno), 2);
      struct Closer {
        int fd;
        ~Closer() { close(fd); }
      } closer{fd};
      read_state(fd);
      return 0;
    }
    if (args.size() != 3) {
      std::cerr << kUsage;
      return 2;
    }
    auto text = slurp(args[2]);
    if (!text) return 2;
    if (what == "config") return report(args[2], validate(parse_config(*text)));
    if (what == "profile") return report(args[2], validate(read_profile(*text, "file")));
  } catch (const Error& e) {
    return fail(e.what(), e.exit_code());
  }
  std::cerr << kUsage;
  return 2;
}

}  // namespace hookwire::cli
