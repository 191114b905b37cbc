#include <hookwire/ipam.h>

#include <hookwire/error.h>
#include <hookwire/state.h>

#include "dir_util.h"
#include "host_ports.h"
#include "fs_util.h"
#include "json_util.h"
#include "unique_fd.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

namespace {

// A v6 /64 holds 2^64 addresses; a scan never needs more than this many tries.
constexpr std::uint64_t kMaxScan = 1u << 20;
constexpr const char* kHintFile = ".next";

std::optional<std::string> read_owner_at(int dir_fd, const std::string& name) {
  char target[256];
  ssize_t n = readlinkat(dir_fd, name.c_str(), target, sizeof target);
  if (n < 0 || n == static_cast<ssize_t>(sizeof target)) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(n));
}

std::optional<std::string> read_owner(const std::string& path) {
  return read_owner_at(AT_FDCWD, path);
}

// The pool's removal lock: an exclusive flock on the lease directory itself. Taking
// a lease needs no lock (symlink(2) creates name and owner at once, and fails when
// the name exists), but removing one is read-owner-then-unlink: every remover holds
// this lock, so no lease can be released and re-taken by someone else between the
// read and the unlink. Empty when the directory does not exist.
UniqueFd lock_pool_dir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return fd;
    throw_errno("open pool " + dir);
  }
  while (flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno("lock pool " + dir);
  return fd;
}

// The number of host offsets in the pool: offsets 1 .. hosts are candidates.
std::uint64_t host_count(const PoolSpec& spec) {
  int host_bits = spec.subnet.address.bits() - spec.subnet.prefix;
  if (host_bits >= 63) return kMaxScan;
  std::uint64_t size = std::uint64_t{1} << host_bits;
  // Offset 0 is the network and, for IPv4, the last is broadcast.
  return std::min<std::uint64_t>(size >= 2 ? size - 2 : 0, kMaxScan);
}

// The offset of `ip` from the pool's network address. Only the low 64 bits matter:
// scans are bounded far below that.
std::uint64_t offset_of(const PoolSpec& spec, const IpAddress& ip) {
  auto low64 = [](const IpAddress& a) {
    std::uint64_t value = 0;
    std::size_t first = a.size() > 8 ? a.size() - 8 : 0;
    for (std::size_t i = first; i < a.size(); ++i) value = (value << 8) | a.data()[i];
    return value;
  };
  return low64(ip) - low64(spec.subnet.network().address);
}

// Whether `name` is what a lease directory of `kind` names its leases by.
bool is_lease_name(const std::string& name, LeaseKind kind) {
  return kind == LeaseKind::address ? IpAddress::parse(name).has_value() : parse_host_port_name(name).has_value();
}

}  // namespace

std::string PoolSpec::key() const {
  return subnet.network().address.str() + "-" + std::to_string(subnet.prefix);
}

Pool::Pool(const std::string& state_dir, const PoolSpec& spec) : spec_(spec), dir_(pool_dir(state_dir, spec.key())) {}

bool Pool::reserved(const IpAddress& ip) const {
  if (ip == spec_.gateway) return true;
  if (ip.host_bits_zero(spec_.subnet.prefix)) return true;
  return spec_.subnet.family() == Family::v4 && ip.host_bits_one(spec_.subnet.prefix);
}

IpAddress Pool::allocate(std::string_view owner, std::optional<IpAddress> requested) {
  make_dirs(dir_, 0700);
  std::string owner_text(owner);
  last_tries_ = 0;
  // Only a lease this call creates counts as taken. One that `owner` already holds
  // is not free either: it belongs to another interface of the same container (a
  // profile with two veths on one pool), and wire() has released every lease of an
  // earlier, interrupted try before it leases again.
  auto try_take = [&](const IpAddress& ip) {
    ++last_tries_;
    std::string path = dir_ + "/" + ip.str();
    if (symlink(owner_text.c_str(), path.c_str()) == 0) return true;
    if (errno != EEXIST) throw_errno("lease " + ip.str() + " in pool " + spec_.subnet.str());
    return false;
  };

  if (requested) {
    if (!spec_.subnet.contains(*requested))
      throw Error::input("address " + requested->str() + " is outside the pool " + spec_.subnet.str());
    if (reserved(*requested))
      throw Error::input("address " + requested->str() + " is reserved in the pool " + spec_.subnet.str());
    if (!try_take(*requested)) {
      auto holder = read_owner(dir_ + "/" + requested->str());
      throw Error::input("address " + requested->str() + " is in use" +
                         (holder ? " by container " + quote_for_message(*holder) : std::string()));
    }
    return *requested;
  }

  std::uint64_t hosts = host_count(spec_);
  if (hosts == 0) throw Error::input("pool " + spec_.subnet.str() + " has no host addresses");
  std::uint64_t start = 1;
  std::optional<std::string> hint;
  try {
    hint = read_file(dir_ + "/" + kHintFile, 64);
  } catch (const Error&) {
    // The hint only speeds up the scan: one that cannot be read is no hint.
  }
  if (hint) {
    auto ip = IpAddress::parse(*hint);
    if (ip && spec_.subnet.contains(*ip)) start = offset_of(spec_, *ip) + 1;
  }
  for (std::uint64_t i = 0; i < hosts; ++i) {
    std::uint64_t offset = (start - 1 + i) % hosts + 1;
    IpAddress candidate = spec_.subnet.network().address.plus(offset);
    if (reserved(candidate)) continue;
    if (try_take(candidate)) {
      // The hint only speeds up the next scan: losing it to a crash or a full
      // disk is harmless, while throwing here would leak the lease just taken.
      try {
        write_file_atomic(dir_, kHintFile, candidate.str());
      } catch (const Error&) {
      }
      return candidate;
    }
  }
  throw Error::system(ENOSPC, "allocate an address from the pool " + spec_.subnet.str(), "pool exhausted");
}

bool Pool::release(const IpAddress& address, std::string_view owner) {
  return release_lease(dir_, address, owner);
}

std::vector<Lease> Pool::leases() const {
  std::vector<Lease> out;
  for (const auto& lease : read_lease_dir(dir_))
    if (lease.valid) out.push_back({*IpAddress::parse(lease.name), lease.owner});
  return out;
}

std::vector<std::string> pool_dirs(const std::string& state_dir) {
  std::vector<std::string> out;
  std::string root = state_dir + "/ipam";
  for (const auto& name : list_dir(root))
    if (name[0] != '.') out.push_back(root + "/" + name);
  return out;
}

std::vector<LeaseFile> read_lease_dir(const std::string& path, LeaseKind kind) {
  std::vector<LeaseFile> out;
  for (const auto& name : list_dir(path)) {
    if (name[0] == '.') continue;
    LeaseFile lease;
    lease.name = name;
    auto owner = read_owner(path + "/" + lease.name);
    lease.owner = owner.value_or("");
    // The owner names a lock file and a record: only a valid container id is one.
    lease.valid = owner.has_value() && is_lease_name(lease.name, kind) && is_valid_container_id(lease.owner);
    out.push_back(std::move(lease));
  }
  return out;
}

std::string pool_dir(const std::string& state_dir, std::string_view pool_key) {
  return state_dir + "/ipam/" + std::string(pool_key);
}

bool release_lease(const std::string& dir, const IpAddress& address, std::string_view owner) {
  return release_named_lease(dir, address.str(), owner);
}

bool release_named_lease(const std::string& dir, const std::string& name, std::string_view owner) {
  auto pool_lock = lock_pool_dir(dir);
  if (!pool_lock) return false;
  if (read_owner_at(pool_lock.get(), name) != owner) return false;
  if (unlinkat(pool_lock.get(), name.c_str(), 0) != 0) {
    if (errno == ENOENT) return false;
    throw_errno("release lease " + dir + "/" + name);
  }
  return true;
}

bool remove_stray_lease_file(const std::string& dir, const std::string& name, LeaseKind kind) {
  auto pool_lock = lock_pool_dir(dir);
  if (!pool_lock) return false;
  // Re-judged under the lock: a valid lease is never a stray.
  auto owner = read_owner_at(pool_lock.get(), name);
  if (owner && is_valid_container_id(*owner) && is_lease_name(name, kind)) return false;
  struct stat st;
  if (fstatat(pool_lock.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return unlinkat(pool_lock.get(), name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == 0;
}

std::vector<std::string> release_owner(const std::string& dir, std::string_view owner, LeaseKind kind) {
  std::vector<std::string> released;
  for (const auto& lease : read_lease_dir(dir, kind)) {
    if (!lease.valid || lease.owner != owner) continue;
    if (release_named_lease(dir, lease.name, owner)) released.push_back(lease.name);
  }
  return released;
}

std::vector<std::string> release_everywhere(const std::string& state_dir, std::string_view owner) {
  std::vector<std::string> released;
  for (const auto& dir : pool_dirs(state_dir)) {
    auto some = release_owner(dir, owner);
    released.insert(released.end(), some.begin(), some.end());
  }
  return released;
}

}  // namespace hookwire
