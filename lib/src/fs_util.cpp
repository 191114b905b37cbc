#include "fs_util.h"

#include <hookwire/error.h>

#include "unique_fd.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

void make_dirs(const std::string& path, unsigned mode) {
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) throw_errno("create directory " + path);
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) throw_errno("create directory " + path);
  make_dirs(path.substr(0, slash), 0755);
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("create directory " + path);
}

bool check_state_dir(const std::string& path, bool create) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw_errno("stat state dir " + path);
    if (!create) return false;
    make_dirs(path, 0700);
    if (lstat(path.c_str(), &st) != 0) throw_errno("stat state dir " + path);
  }
  if (S_ISLNK(st.st_mode)) throw Error::input("state dir " + path + ": is a symlink; refusing to use it");
  if (!S_ISDIR(st.st_mode)) throw Error::input("state dir " + path + ": not a directory");
  if (st.st_uid != 0) throw Error::input("state dir " + path + ": not owned by root; refusing to use it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw Error::input("state dir " + path + ": writable by group or others; refusing to use it");
  return true;
}

namespace {

void write_all(int fd, std::string_view content, const std::string& what) {
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + what);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void write_file_atomic(const std::string& dir, const std::string& name, std::string_view content, unsigned mode) {
  // The temp name starts with '.', which no container id or lease may, and carries
  // the pid so concurrent writers never share one.
  std::string temp = dir + "/.tmp." + name + "." + std::to_string(getpid());
  std::string final_path = dir + "/" + name;
  {
    UniqueFd fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (fd.get() < 0) throw_errno("create " + temp);
    try {
      // The mode as asked, whatever the umask of the runtime that started us.
      if (fchmod(fd.get(), mode) != 0) throw_errno("chmod " + temp);
      write_all(fd.get(), content, temp);
    } catch (...) {
      unlink(temp.c_str());
      throw;
    }
  }
  if (rename(temp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    throw Error::system(err, "rename " + temp + " to " + final_path);
  }
}

std::optional<std::string> read_file(const std::string& path, std::size_t max) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open " + path);
  }
  std::string content;
  char buffer[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max) throw Error::input(path + ": larger than " + std::to_string(max) + " bytes");
  }
  return content;
}

}  // namespace hookwire
