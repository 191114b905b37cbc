#include <hookwire/namespaces.h>

#include <hookwire/error.h>

#include "unique_fd.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

namespace {

struct TypeInfo {
  NamespaceType type;
  std::string_view json;
  std::string_view ns_name;
  unsigned long clone_flag;
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr TypeInfo kTypes[] = {
    {NamespaceType::newnet, "NEWNET", "net", CLONE_NEWNET},
    {NamespaceType::newpid, "NEWPID", "pid", CLONE_NEWPID},
    {NamespaceType::newns, "NEWNS", "mnt", CLONE_NEWNS},
    {NamespaceType::newuts, "NEWUTS", "uts", CLONE_NEWUTS},
    {NamespaceType::newipc, "NEWIPC", "ipc", CLONE_NEWIPC},
    {NamespaceType::newuser, "NEWUSER", "user", CLONE_NEWUSER},
    {NamespaceType::newcgroup, "NEWCGROUP", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::newtime, "NEWTIME", "time", CLONE_NEWTIME},
};

const TypeInfo& info(NamespaceType type) {
  return kTypes[static_cast<std::size_t>(type)];
}

// NsHandle and NetnsGuard hold their fd as a plain int because their header is
// public and UniqueFd is not (see namespaces.h). Ownership still has one discipline:
// an fd is born in a UniqueFd, released into the object only once nothing can
// throw, moved with std::exchange, and closed by handing it back to a UniqueFd. No
// close(2) of its own here, so no second close path to get wrong.
void close_owned(int fd) noexcept {
  UniqueFd owner(fd);
}

}  // namespace

std::string_view to_string(NamespaceType type) {
  return info(type).json;
}

std::optional<NamespaceType> namespace_type_from(std::string_view text) {
  for (const auto& t : kTypes)
    if (t.json == text) return t.type;
  return std::nullopt;
}

std::string_view NsName(NamespaceType type) {
  return info(type).ns_name;
}

const std::array<NamespaceType, 8>& NamespaceTypes() {
  static constexpr std::array<NamespaceType, 8> all = {
      NamespaceType::newnet, NamespaceType::newpid,  NamespaceType::newns,     NamespaceType::newuts,
      NamespaceType::newipc, NamespaceType::newuser, NamespaceType::newcgroup, NamespaceType::newtime};
  return all;
}

bool IsNamespaceSupported(NamespaceType type) {
  // 0 = not asked yet, 1 = no, 2 = yes. Racing first callers compute the same answer.
  static std::atomic<int> cache[8];
  auto& slot = cache[static_cast<std::size_t>(type)];
  int known = slot.load(std::memory_order_acquire);
  if (known == 0) {
    std::string path = "/proc/self/ns/" + std::string(NsName(type));
    known = access(path.c_str(), F_OK) == 0 ? 2 : 1;
    slot.store(known, std::memory_order_release);
  }
  return known == 2;
}

unsigned long clone_flag(NamespaceType type) {
  return info(type).clone_flag;
}

void Namespaces::Add(NamespaceType type, std::string path) {
  for (auto& ns : list_) {
    if (ns.type == type) {
      ns.path = std::move(path);
      return;
    }
  }
  list_.push_back({type, std::move(path)});
}

bool Namespaces::Remove(NamespaceType type) {
  for (auto it = list_.begin(); it != list_.end(); ++it) {
    if (it->type == type) {
      list_.erase(it);
      return true;
    }
  }
  return false;
}

bool Namespaces::Contains(NamespaceType type) const {
  for (const auto& ns : list_)
    if (ns.type == type) return true;
  return false;
}

std::string Namespaces::PathOf(NamespaceType type) const {
  for (const auto& ns : list_)
    if (ns.type == type) return ns.path;
  return {};
}

unsigned long Namespaces::CloneFlags() const {
  unsigned long flags = 0;
  for (const auto& ns : list_)
    if (ns.path.empty()) flags |= clone_flag(ns.type);
  return flags;
}

NsId ns_id_of_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) throw_errno("stat namespace fd " + std::to_string(fd));
  return {st.st_dev, st.st_ino};
}

std::optional<NsId> ns_id_of_path(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return NsId{st.st_dev, st.st_ino};
}

NsId current_netns_id() {
  auto id = ns_id_of_path("/proc/thread-self/ns/net");
  if (!id) throw_errno("stat /proc/thread-self/ns/net");
  return *id;
}

std::uint64_t current_netns_cookie() {
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
  // Any socket tells the cookie of the netns it was made in.
  UniqueFd socket_fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd) throw_errno("socket for the netns cookie");
  std::uint64_t cookie = 0;
  socklen_t size = sizeof cookie;
  if (getsockopt(socket_fd.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &size) != 0) {
    if (errno == ENOPROTOOPT) return 0;
    throw_errno("read the netns cookie");
  }
  return cookie;
}

std::uint64_t netns_cookie(int fd) {
  NetnsGuard guard(fd);
  return current_netns_cookie();
}

NsHandle::NsHandle(int fd, NsId id, std::string path) noexcept : fd_(fd), id_(id), path_(std::move(path)) {}

NsHandle NsHandle::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  NsId id = ns_id_of_fd(fd.get());  // if this throws, `fd` closes the file
  return NsHandle(fd.release(), id, path);
}

NsHandle NsHandle::current_net() {
  return open("/proc/thread-self/ns/net");
}

NsHandle::NsHandle(NsHandle&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), id_(other.id_), path_(std::move(other.path_)) {}

NsHandle& NsHandle::operator=(NsHandle&& other) noexcept {
  if (this != &other) {
    close_owned(std::exchange(fd_, std::exchange(other.fd_, -1)));
    id_ = other.id_;
    path_ = std::move(other.path_);
  }
  return *this;
}

NsHandle::~NsHandle() {
  close_owned(fd_);
}

NetnsGuard::NetnsGuard(int target_fd) {
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) throw_errno("open /proc/thread-self/ns/net");
  if (setns(target_fd, CLONE_NEWNET) != 0) throw_errno("setns network namespace");
  original_fd_ = original.release();
}

NetnsGuard::~NetnsGuard() {
  if (setns(original_fd_, CLONE_NEWNET) != 0) {
    // Carrying on in the container's namespace could rewire the wrong network.
    std::fprintf(stderr, "hookwire: cannot return to the original network namespace: %s; aborting\n",
                 std::strerror(errno));
    std::abort();
  }
  close_owned(original_fd_);
}

}  // namespace hookwire
