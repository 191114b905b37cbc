#include <hookwire/profile_load.h>

#include <hookwire/error.h>

#include "json_util.h"
#include "unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hookwire {

namespace {

constexpr std::size_t kMaxProfileBytes = 1 << 20;

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Profile load_profile_file(const std::string& path, std::string name) {
  std::string dir = parent_of(path);
  struct stat dir_st;
  if (stat(dir.c_str(), &dir_st) != 0) throw Error::input("profile " + path + ": " + std::strerror(errno));
  if (dir_st.st_mode & S_IWOTH)
    throw Error::input("profile " + path + ": directory " + dir + " is writable by others; refusing it");

  // O_NOFOLLOW: a symlinked profile could point anywhere a tenant can write.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno == ELOOP) throw Error::input("profile " + path + ": is a symlink; refusing it");
    throw Error::input("profile " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_errno("stat profile " + path);
  if (!S_ISREG(st.st_mode)) throw Error::input("profile " + path + ": not a regular file");
  if (st.st_uid != 0) throw Error::input("profile " + path + ": not owned by root; refusing it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw Error::input("profile " + path + ": writable by group or others; refusing it");
  if (static_cast<std::size_t>(st.st_size) > kMaxProfileBytes)
    throw Error::input("profile " + path + ": larger than 1 MiB");

  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read profile " + path);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return parse_profile(text, std::move(name));
}

Profile load_profile(const std::string& dir, std::string_view name) {
  if (!is_valid_profile_name(name))
    throw Error::input("profile name " + quote_for_message(name) + ": not a valid name ([a-z0-9][a-z0-9_.-]{0,63})");
  std::string path = dir + "/" + std::string(name) + ".json";
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw Error::input("profile " + path + ": " + std::strerror(errno));
    if (name == kDefaultProfileName) return default_profile();
    throw Error::input("profile \"" + std::string(name) + "\" not found in " + dir);
  }
  return load_profile_file(path, std::string(name));
}

}  // namespace hookwire
