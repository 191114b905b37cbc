#include "netns_find.h"

#include <hookwire/error.h>

#include "bundle.h"
#include "dir_util.h"

#include <cerrno>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

namespace hookwire {

namespace {

bool is_pid_name(const char* name) {
  if (!*name) return false;
  for (; *name; ++name)
    if (*name < '0' || *name > '9') return false;
  return true;
}

// "net:[4026532281]" names the netns with that inode.
bool link_names_netns(const std::string& link_path, ino_t ino) {
  char target[64];
  ssize_t n = readlink(link_path.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return std::string_view(target) == "net:[" + std::to_string(ino) + "]";
}

std::optional<std::string> process_holding(ino_t ino, const std::function<bool(const std::string&)>& matches) {
  std::vector<std::string> pids;
  try {
    pids = list_dir("/proc");
  } catch (const Error&) {
    return std::nullopt;
  }
  for (const auto& pid : pids) {
    if (!is_pid_name(pid.c_str())) continue;
    std::string base = "/proc/" + pid;
    if (link_names_netns(base + "/ns/net", ino) && matches(base + "/ns/net")) return base + "/ns/net";
    std::vector<std::string> fds;
    try {
      fds = list_dir(base + "/fd");
    } catch (const Error&) {
      continue;  // gone, or not ours to read
    }
    for (const auto& fd : fds) {
      std::string path = base + "/fd/" + fd;
      if (is_pid_name(fd.c_str()) && link_names_netns(path, ino) && matches(path)) return path;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string unescape_mountinfo(std::string_view field) {
  // The kernel writes space, tab, newline and backslash in a mountinfo path as
  // \ooo octal escapes (show_mountinfo, mangle()); everything else is verbatim.
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    auto is_octal = [&](std::size_t at) { return at < field.size() && field[at] >= '0' && field[at] <= '7'; };
    if (field[i] == '\\' && is_octal(i + 1) && is_octal(i + 2) && is_octal(i + 3)) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

namespace {

std::optional<std::string> mount_holding(ino_t ino) {
  // A bind-mounted netns (ip netns add, podman) shows in mountinfo as an nsfs
  // mount whose root is "net:[INO]"; the fifth field is where it is mounted.
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, wanted = "net:[" + std::to_string(ino) + "]";
  while (std::getline(mountinfo, line)) {
    if (line.find(" - nsfs ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (root == wanted) return unescape_mountinfo(mount_point);
  }
  return std::nullopt;
}

}  // namespace

std::optional<NsHandle> find_container_netns(const State& state) {
  if (state.pid) {
    std::string path = "/proc/" + std::to_string(*state.pid) + "/ns/net";
    try {
      return NsHandle::open(path);
    } catch (const Error& e) {
      if (e.code().value() == ENOENT || e.code().value() == ESRCH)
        throw Error::input("state: pid " + std::to_string(*state.pid) + ": no such process");
      throw;
    }
  }
  auto bundle = read_bundle_config(state.bundle);
  if (!bundle || bundle->netns_path.empty()) return std::nullopt;
  const std::string& path = bundle->netns_path;
  try {
    return NsHandle::open(path);
  } catch (const Error& e) {
    throw Error::input(std::string("bundle network namespace: ") + e.what());
  }
}

bool is_recorded_netns(const LedgerEntry& entry, int fd) {
  if (ns_id_of_fd(fd) != entry.netns) return false;
  return entry.netns_cookie == 0 || netns_cookie(fd) == entry.netns_cookie;
}

std::optional<std::string> find_recorded_netns(const LedgerEntry& entry) {
  std::function<bool(const std::string&)> matches = [&](const std::string& path) {
    if (ns_id_of_path(path) != entry.netns) return false;
    try {
      return is_recorded_netns(entry, NsHandle::open(path).fd());
    } catch (const Error&) {
      return false;  // gone between the stat and the open
    }
  };
  if (entry.pid > 0) {
    std::string path = "/proc/" + std::to_string(entry.pid) + "/ns/net";
    if (matches(path)) return path;
  }
  if (!entry.netns_path.empty() && !entry.netns_path.starts_with("/proc/") && matches(entry.netns_path))
    return entry.netns_path;
  if (auto path = mount_holding(entry.netns.ino); path && matches(*path)) return path;
  if (auto path = process_holding(entry.netns.ino, matches)) return path;
  return std::nullopt;
}

}  // namespace hookwire
