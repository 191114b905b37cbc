#include "netns_find.h"

#include <hookwire/error.h>

#include "fs_util.h"
#include "json_util.h"

#include <cerrno>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <memory>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxBundleConfigBytes = 4 << 20;

// The network namespace path in BUNDLE/config.json (linux.namespaces), if any.
std::string bundle_netns_path(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  std::optional<std::string> text;
  try {
    text = read_file(path, kMaxBundleConfigBytes);
  } catch (const Error& e) {
    throw Error::input(std::string("bundle config: ") + e.what());
  }
  if (!text) return {};
  auto config = parse_json_strict(*text, "bundle " + path);
  try {
    const auto& namespaces = config.at("linux").at("namespaces");
    for (const auto& ns : namespaces)
      if (ns.value("type", "") == "network") return ns.value("path", "");
  } catch (const nlohmann::json::exception&) {
    // No linux.namespaces: no path to follow.
  }
  return {};
}

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

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
  DirPtr proc(opendir("/proc"));
  if (!proc) return std::nullopt;
  while (auto* entry = readdir(proc.get())) {
    if (!is_pid_name(entry->d_name)) continue;
    std::string base = std::string("/proc/") + entry->d_name;
    if (link_names_netns(base + "/ns/net", ino) && matches(base + "/ns/net")) return base + "/ns/net";
    DirPtr fds(opendir((base + "/fd").c_str()));
    if (!fds) continue;
    while (auto* fd = readdir(fds.get())) {
      std::string path = base + "/fd/" + fd->d_name;
      if (is_pid_name(fd->d_name) && link_names_netns(path, ino) && matches(path)) return path;
    }
  }
  return std::nullopt;
}

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
    if (root == wanted) return mount_point;
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
  if (state.bundle.empty() || state.bundle == "/") return std::nullopt;
  std::string path = bundle_netns_path(state.bundle);
  if (path.empty()) return std::nullopt;
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
