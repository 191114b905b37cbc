// The per-container lock: one exclusive flock(2) per container id, on
// STATE_DIR/locks/ID. Every operation on one id (wire, unwire, gc, check, the
// poststart status update, reload) holds it from its first read of the record to
// its last write, so none of them acts on a record another one is changing. The
// kernel drops the lock when its holder dies, SIGKILL included: a crashed hook never
// leaves an id locked. docs/security.md, "Concurrency", has the whole discipline.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "unique_fd.h"

namespace hookwire {

class IdLock {
 public:
  /// Waits for and takes the lock of `id` under `state_dir` (which must exist).
  /// Throws Error::system when the lock file cannot be made or locked.
  static IdLock acquire(const std::string& state_dir, std::string_view id);
  /// Takes the lock only if no one holds it; nullopt when someone does.
  static std::optional<IdLock> try_acquire(const std::string& state_dir, std::string_view id);

  /// Removes the lock file while still holding the lock, once the id has no record
  /// left, so the locks directory does not grow with every container ever run. A
  /// waiter that then wakes up on the removed file notices and locks the new one.
  void retire() noexcept;

 private:
  IdLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  static std::optional<IdLock> lock(const std::string& state_dir, std::string_view id, bool wait);
  UniqueFd fd_;
  std::string path_;
};

/// The directory of the lock files, STATE_DIR/locks.
std::string lock_dir(const std::string& state_dir);

}  // namespace hookwire
