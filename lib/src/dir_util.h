// The one way the library reads a directory: names only, sorted, "." and ".."
// left out. Internal.
#pragma once

#include <string>
#include <vector>

namespace hookwire {

/// The names in directory `path`, sorted, without "." and "..". A directory that
/// does not exist (ENOENT, or ENOTDIR on a component) is empty; other errors throw
/// Error::system naming the path.
std::vector<std::string> list_dir(const std::string& path);

}  // namespace hookwire
