#include "container_setup.h"

#include <hookwire/error.h>
#include <hookwire/ledger.h>

#include "fs_util.h"
#include "json_util.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxBundleConfigBytes = 4 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void set_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  for (std::size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) throw_errno("set sysctl " + key + "=" + value);
  if (write(fd.get(), value.data(), value.size()) < 0) throw_errno("set sysctl " + key + "=" + value);
}

struct RootfsInfo {
  std::string path;
  std::string hostname;
  bool readonly = false;
};

RootfsInfo read_rootfs(const State& state) {
  RootfsInfo info;
  if (state.bundle.empty() || state.bundle == "/") return info;
  auto text = read_file(state.bundle + "/config.json", kMaxBundleConfigBytes);
  if (!text) return info;
  auto config = parse_json_strict(*text, "bundle config");
  std::string root = "rootfs";
  if (auto it = config.find("root"); it != config.end() && it->is_object()) {
    if (it->contains("path") && (*it)["path"].is_string()) root = (*it)["path"].get<std::string>();
    if (it->contains("readonly") && (*it)["readonly"].is_boolean()) info.readonly = (*it)["readonly"].get<bool>();
  }
  if (auto it = config.find("hostname"); it != config.end() && it->is_string()) info.hostname = it->get<std::string>();
  info.path = root.starts_with("/") ? root : state.bundle + "/" + root;
  return info;
}

// Writes `name` (relative to the rootfs) with every path component resolved inside
// the rootfs: a container image's symlink /etc/hosts -> /etc/shadow must not
// reach the host. Returns false, writing nothing, when the image has something
// other than a regular file there: a FIFO would block the hook (hence O_NONBLOCK,
// and no O_TRUNC before fstat), a device node would take the write to a device.
bool write_in_rootfs(int rootfs_fd, const char* name, const std::string& content) {
  struct open_how how = {};
  how.flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.mode = 0644;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, rootfs_fd, name, &how, sizeof how));
  if (fd < 0 && errno == ENXIO) return false;  // a FIFO without a reader, or a device without its driver
  if (fd < 0) throw_errno(std::string("write ") + name + " in the rootfs");
  Fd closer(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) throw_errno(std::string("stat ") + name + " in the rootfs");
  if (!S_ISREG(st.st_mode)) return false;
  if (ftruncate(fd, 0) != 0 ||
      write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    throw_errno(std::string("write ") + name + " in the rootfs");
  return true;
}

std::string hosts_file(const LedgerEntry& entry, const std::string& hostname) {
  std::string out = "# Written by hookwire for container " + entry.id + ".\n";
  out += "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& address : entry.addresses) {
    auto slash = address.cidr.find('/');
    out += address.cidr.substr(0, slash) + "\t" + hostname + "\n";
  }
  return out;
}

std::string resolv_conf(const DnsSpec& dns) {
  std::string out = "# Written by hookwire.\n";
  for (const auto& server : dns.nameservers) out += "nameserver " + server + "\n";
  auto line = [&](const char* keyword, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += keyword;
    for (const auto& item : items) out += " " + item;
    out += "\n";
  };
  line("search", dns.search);
  line("options", dns.options);
  return out;
}

void write_files(const State& state, const Profile& profile, const LedgerEntry& entry, Logger& log) {
  auto rootfs = read_rootfs(state);
  if (rootfs.path.empty()) {
    log.warning("no bundle rootfs to write /etc/hosts or /etc/resolv.conf into");
    return;
  }
  if (rootfs.readonly) {
    log.info("the rootfs is read-only; not writing /etc/hosts or /etc/resolv.conf");
    return;
  }
  Fd rootfs_fd(open(rootfs.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (rootfs_fd.get() < 0) throw_errno("open rootfs " + rootfs.path);
  try {
    std::string hostname = rootfs.hostname.empty() ? entry.id.substr(0, 63) : rootfs.hostname;
    auto skipped = [&](const char* name) {
      log.warning(std::string(name) + " in the rootfs is not a regular file; skipping it");
    };
    if (profile.etc_hosts && !write_in_rootfs(rootfs_fd.get(), "etc/hosts", hosts_file(entry, hostname)))
      skipped("etc/hosts");
    if (!profile.dns.nameservers.empty() &&
        !write_in_rootfs(rootfs_fd.get(), "etc/resolv.conf", resolv_conf(profile.dns)))
      skipped("etc/resolv.conf");
  } catch (const Error& e) {
    // A read-only rootfs, or an image whose file is a dangling symlink (resolved
    // inside the rootfs): the container starts without our file, as it would
    // without hookwire.
    if (e.code().value() == EROFS) {
      log.info("the rootfs is read-only; not writing /etc/hosts or /etc/resolv.conf");
    } else if (e.code().value() == ENOENT || e.code().value() == ENOTDIR) {
      log.warning(std::string(e.what()) + "; skipping it");
    } else {
      throw;
    }
  }
}

}  // namespace

void configure_container(const std::string& state_dir, const State& state, const Profile& profile, Logger& log) {
  bool wants_files = profile.etc_hosts || !profile.dns.nameservers.empty();
  if (profile.sysctls.empty() && !wants_files) return;
  std::optional<LedgerEntry> entry;
  if (check_state_dir(state_dir, false)) entry = Ledger(state_dir).find(state.id);
  if (!entry) {
    log.info("not wired by hookwire; no in-container settings to apply");
    return;
  }
  bool inside = current_netns_id() == entry->netns &&
                (entry->netns_cookie == 0 || current_netns_cookie() == entry->netns_cookie);
  if (!inside) {
    log.warning("not running in the container's network namespace; not applying its settings");
    return;
  }
  for (const auto& [key, value] : profile.sysctls) set_sysctl(key, value);
  if (wants_files) write_files(state, profile, *entry, log);
}

}  // namespace hookwire
