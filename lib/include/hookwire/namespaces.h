// Linux namespaces, modelled on libcontainer/configs (namespaces_linux.go).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <hookwire/export.h>

namespace hookwire {

/// The namespace kinds: libcontainer's NEWNET, ... in snake_case (README.md);
/// JSON spells them as Go does ("NEWNET", ...: to_string).
enum class NamespaceType { newnet, newpid, newns, newuts, newipc, newuser, newcgroup, newtime };

/// The JSON name of `type` ("NEWNET").
HOOKWIRE_EXPORT std::string_view to_string(NamespaceType type);
/// The type named `text`, or nullopt.
HOOKWIRE_EXPORT std::optional<NamespaceType> namespace_type_from(std::string_view text);

/// The /proc/self/ns file name of `type`: newnet -> "net", newns -> "mnt", ...
HOOKWIRE_EXPORT std::string_view NsName(NamespaceType type);
/// Every namespace type, in declaration order.
HOOKWIRE_EXPORT const std::array<NamespaceType, 8>& NamespaceTypes();
/// Whether /proc/self/ns/<NsName(type)> exists. Answers are cached, thread-safely.
HOOKWIRE_EXPORT bool IsNamespaceSupported(NamespaceType type);
/// The CLONE_NEW* flag of `type`.
HOOKWIRE_EXPORT unsigned long clone_flag(NamespaceType type);

/// One namespace of a config: a type, and a path to join (empty: create a new one).
struct HOOKWIRE_EXPORT Namespace {
  NamespaceType type = NamespaceType::newnet;
  std::string path;

  bool operator==(const Namespace&) const = default;
};

/// A config's list of namespaces, with libcontainer's operations.
class HOOKWIRE_EXPORT Namespaces {
 public:
  Namespaces() = default;
  explicit Namespaces(std::vector<Namespace> list) : list_(std::move(list)) {}

  /// Adds `type` with `path`, or replaces the path when `type` is already present.
  void Add(NamespaceType type, std::string path);
  /// Removes `type`; false when it was not present.
  bool Remove(NamespaceType type);
  bool Contains(NamespaceType type) const;
  /// The path of `type`; empty when absent or when it has no path.
  std::string PathOf(NamespaceType type) const;
  /// The CLONE_NEW* bits for the namespaces to create: those without a path.
  unsigned long CloneFlags() const;

  const std::vector<Namespace>& list() const { return list_; }
  bool empty() const { return list_.empty(); }
  bool operator==(const Namespaces&) const = default;

 private:
  std::vector<Namespace> list_;
};

/// A namespace's identity: the device and inode of its nsfs file.
struct HOOKWIRE_EXPORT NsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NsId&) const = default;
};

/// The identity of the namespace open at `fd`. Throws Error::system.
HOOKWIRE_EXPORT NsId ns_id_of_fd(int fd);
/// The identity of the namespace at `path`, or nullopt when it does not exist.
HOOKWIRE_EXPORT std::optional<NsId> ns_id_of_path(const std::string& path);
/// The identity of the calling thread's network namespace.
HOOKWIRE_EXPORT NsId current_netns_id();

/// The network namespace cookie of the calling thread's netns (SO_NETNS_COOKIE):
/// unlike an nsfs inode number, which the kernel hands out again once a namespace
/// is gone, a cookie is never reused while the system runs. 0 when the kernel is
/// too old to tell (before 5.14).
HOOKWIRE_EXPORT std::uint64_t current_netns_cookie();
/// The cookie of the network namespace open at `fd` (enters it briefly).
HOOKWIRE_EXPORT std::uint64_t netns_cookie(int fd);

/// An open namespace file (a network namespace, in practice). Owns the fd: move-only,
/// closed when the handle goes.
///
/// Why a plain int: this header is public, and the library's one fd owner
/// (UniqueFd) is internal, so it cannot be a member here; a pimpl would cost a heap
/// allocation per handle for nothing. The int is only storage: namespaces.cpp takes
/// every fd from a UniqueFd and gives it back to one to close it, the same close
/// path as every other fd of the library. NetnsGuard does the same.
class HOOKWIRE_EXPORT NsHandle {
 public:
  /// Opens `path` (e.g. /proc/42/ns/net). Throws Error::system naming the path.
  static NsHandle open(const std::string& path);
  /// The calling thread's network namespace.
  static NsHandle current_net();

  NsHandle(NsHandle&& other) noexcept;
  NsHandle& operator=(NsHandle&& other) noexcept;
  NsHandle(const NsHandle&) = delete;
  NsHandle& operator=(const NsHandle&) = delete;
  ~NsHandle();

  int fd() const { return fd_; }
  const NsId& id() const { return id_; }
  const std::string& path() const { return path_; }

 private:
  /// Takes ownership of `fd`; never throws, so the fd cannot leak on the way in.
  NsHandle(int fd, NsId id, std::string path) noexcept;
  int fd_ = -1;
  NsId id_;
  std::string path_;
};

/// Enters a network namespace with setns(2) for the guard's lifetime, then returns
/// the thread to the namespace it came from. If it cannot return, the process
/// aborts: running on in the wrong namespace is never safe.
class HOOKWIRE_EXPORT NetnsGuard {
 public:
  /// Enters the namespace open at `target_fd`. Throws Error::system on failure
  /// (and then the thread has not moved).
  explicit NetnsGuard(int target_fd);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  int original_fd_ = -1;  // owned, as NsHandle's fd is
};

}  // namespace hookwire
