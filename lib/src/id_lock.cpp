#include "id_lock.h"

#include <hookwire/error.h>

#include "fs_util.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

std::string lock_dir(const std::string& state_dir) {
  return state_dir + "/locks";
}

std::optional<IdLock> IdLock::lock(const std::string& state_dir, std::string_view id, bool wait) {
  std::string dir = lock_dir(state_dir);
  make_dirs(dir, 0700);
  std::string path = dir + "/" + std::string(id);
  for (;;) {
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
    if (!fd) throw_errno("open lock " + path);
    int rc;
    do {
      rc = flock(fd.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      if (errno == EWOULDBLOCK) return std::nullopt;
      throw_errno("lock " + path);
    }
    // The holder before us may have retired (unlinked) the file we locked: then
    // our lock guards nothing, and the current file is the one to lock.
    struct stat held, current;
    if (fstat(fd.get(), &held) != 0) throw_errno("stat lock " + path);
    if (stat(path.c_str(), &current) != 0) {
      if (errno == ENOENT) continue;
      throw_errno("stat lock " + path);
    }
    if (current.st_dev == held.st_dev && current.st_ino == held.st_ino) return IdLock(std::move(fd), std::move(path));
  }
}

IdLock IdLock::acquire(const std::string& state_dir, std::string_view id) {
  return *lock(state_dir, id, true);
}

std::optional<IdLock> IdLock::try_acquire(const std::string& state_dir, std::string_view id) {
  return lock(state_dir, id, false);
}

void IdLock::retire() noexcept {
  if (fd_) unlink(path_.c_str());
}

}  // namespace hookwire
