#include "dir_util.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <memory>
#include <string_view>

namespace hookwire {

namespace {

struct DirDeleter {
  void operator()(DIR* dir) const noexcept { closedir(dir); }
};

}  // namespace

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, DirDeleter> dir(opendir(path.c_str()));
  if (!dir) {
    if (errno == ENOENT || errno == ENOTDIR) return names;
    throw_errno("open " + path);
  }
  while (auto* entry = readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hookwire
