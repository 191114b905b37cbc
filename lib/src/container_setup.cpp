#include "container_setup.h"

#include <hookwire/error.h>
#include <hookwire/ledger.h>

#include "bundle.h"
#include "fs_util.h"
#include "unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hookwire {

namespace {

void set_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  for (std::size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw_errno("set sysctl " + key + "=" + value);
  if (write(fd.get(), value.data(), value.size()) < 0) throw_errno("set sysctl " + key + "=" + value);
}

// Kernel pseudo-filesystems: a write there is a write to the kernel's settings,
// never to a file of the image's. RESOLVE_NO_XDEV already keeps the open on the
// rootfs's own mount; this is the second wall, for a rootfs that is itself one
// of these (a bundle that points root.path into /proc or /sys).
bool is_pseudo_filesystem(long type) {
  switch (static_cast<unsigned long>(type)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case SECURITYFS_MAGIC:
    case TRACEFS_MAGIC:
    case BPF_FS_MAGIC:
    case PSTOREFS_MAGIC:
    case EFIVARFS_MAGIC:
    case SELINUX_MAGIC:
    case SMACK_MAGIC:
    case NSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    // Not in linux/magic.h:
    case 0x62656570:  // configfs
    case 0x65735543:  // fusectl
    case 0x42494e4d:  // binfmt_misc
      return true;
    default:
      return false;
  }
}

// Why an image's file at `name` must not be written, or empty when it may.
std::string refusal(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return std::string("stat: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  // A hard link shares its inode with a file elsewhere, perhaps outside the rootfs.
  if (st.st_nlink > 1) return "a hard link (" + std::to_string(st.st_nlink) + " names)";
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return std::string("statfs: ") + std::strerror(errno);
  if (is_pseudo_filesystem(fs.f_type)) return "on a kernel pseudo-filesystem";
  return {};
}

// Writes `name` (relative to the rootfs) only if it resolves to an ordinary file
// of the rootfs's own filesystem:
// - RESOLVE_IN_ROOT: every symlink, absolute or with "..", resolves inside the
//   rootfs tree, so /etc/hosts -> /etc/shadow names the image's /etc/shadow;
// - RESOLVE_NO_XDEV: the path never crosses a mount point, so a symlink into the
//   /proc, /sys or cgroup mounts the runtime made under the rootfs, or into any
//   bind mount, fails with EXDEV;
// - RESOLVE_NO_MAGICLINKS: no /proc/self/fd-style jumps;
// - then refusal(): a regular file, one name, not on a pseudo-filesystem.
// O_NONBLOCK, and no O_TRUNC before the checks: a FIFO must not block the hook,
// and a file that is refused must not be emptied. Returns the refusal, or empty
// when the file was written. Throws Error::system for other failures.
std::string write_in_rootfs(int rootfs_fd, const char* name, const std::string& content) {
  struct open_how how = {};
  how.flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.mode = 0644;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(syscall(SYS_openat2, rootfs_fd, name, &how, sizeof how)));
  if (!fd) {
    switch (errno) {
      case EXDEV:
        return "it leads out of the rootfs's filesystem (a mount point on its path)";
      case ELOOP:
        return "a symlink loop";
      case EISDIR:
        return "a directory";
      case ENXIO:
        return "a FIFO without a reader, or a device without its driver";
      case ENOENT:
        return "a dangling path";
      case ENOTDIR:
        return "a path through something that is not a directory";
      default:
        throw_errno(std::string("write ") + name + " in the rootfs");
    }
  }
  if (auto why = refusal(fd.get()); !why.empty()) return why;
  if (ftruncate(fd.get(), 0) != 0 ||
      write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    throw_errno(std::string("write ") + name + " in the rootfs");
  return {};
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

std::string resolv_conf(const DnsSpec& dns, const LedgerNames& names) {
  std::string out = "# Written by hookwire.\n";
  // With names served, the resolver on the gateway is the one nameserver: it
  // forwards what is not a name of the network to the host's own.
  for (const auto& server : names.empty() ? dns.nameservers : names.servers) out += "nameserver " + server + "\n";
  auto line = [&](const char* keyword, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += keyword;
    for (const auto& item : items) out += " " + item;
    out += "\n";
  };
  std::vector<std::string> search = dns.search;
  if (!names.empty()) search.insert(search.begin(), names.domain);
  line("search", search);
  line("options", dns.options);
  return out;
}

// Each file is judged on its own: a hostile or odd shape of one (a directory, a
// loop, a link into /proc) skips that file with a warning, never the other one, and
// never fails the container, which then starts as it would without hookwire.
void write_one(int rootfs_fd, const char* name, const std::string& content, Logger& log) {
  try {
    auto why = write_in_rootfs(rootfs_fd, name, content);
    if (!why.empty()) log.warning(std::string(name) + " in the rootfs: " + why + "; skipping it");
  } catch (const Error& e) {
    if (e.code().value() == EROFS) {
      log.info(std::string(name) + ": the rootfs is read-only; not writing it");
    } else {
      log.warning(std::string(e.what()) + "; skipping it");
    }
  }
}

void write_files(const std::optional<BundleConfig>& bundle, const Profile& profile, const LedgerEntry& entry,
                 Logger& log) {
  if (!bundle) {
    log.warning("no bundle rootfs to write /etc/hosts or /etc/resolv.conf into");
    return;
  }
  if (bundle->rootfs_readonly) {
    log.info("the rootfs is read-only; not writing /etc/hosts or /etc/resolv.conf");
    return;
  }
  UniqueFd rootfs_fd(open(bundle->rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs_fd) {
    log.warning("cannot open the rootfs " + bundle->rootfs + ": " + std::strerror(errno) +
                "; not writing /etc/hosts or /etc/resolv.conf");
    return;
  }
  std::string hostname = bundle->hostname.empty() ? entry.id.substr(0, 63) : bundle->hostname;
  if (profile.etc_hosts) write_one(rootfs_fd.get(), "etc/hosts", hosts_file(entry, hostname), log);
  if (!profile.dns.nameservers.empty() || !entry.dns.empty())
    write_one(rootfs_fd.get(), "etc/resolv.conf", resolv_conf(profile.dns, entry.dns), log);
}

}  // namespace

void configure_container(const std::string& state_dir, const State& state, const Profile& profile, Logger& log) {
  bool wants_files = profile.etc_hosts || !profile.dns.nameservers.empty() || profile.dns.names;
  if (profile.sysctls.empty() && !wants_files) return;
  std::optional<LedgerEntry> entry;
  if (check_state_dir(state_dir, false)) entry = Ledger(state_dir).find(state.id);
  if (!entry) {
    log.info("not wired by hookwire; no in-container settings to apply");
    return;
  }
  bool inside =
      current_netns_id() == entry->netns && (entry->netns_cookie == 0 || current_netns_cookie() == entry->netns_cookie);
  if (!inside) {
    log.warning("not running in the container's network namespace; not applying its settings");
    return;
  }
  // Everything that can be refused is read before the first change.
  std::optional<BundleConfig> bundle;
  if (wants_files) bundle = read_bundle_config(state.bundle);
  for (const auto& [key, value] : profile.sysctls) set_sysctl(key, value);
  if (wants_files) write_files(bundle, profile, *entry, log);
}

}  // namespace hookwire
