// Small file-system helpers for the state dir: safe creation, atomic writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookwire {

/// Creates `path` and its missing parents with `mode`. Throws Error::system.
void make_dirs(const std::string& path, unsigned mode);

/// Makes sure the state dir exists (created 0700 when missing and `create`) and is
/// safe: a real directory (not a symlink), owned by root, not writable by group or
/// others. Returns false when it does not exist and `create` is false.
/// Throws Error::input when it is unsafe.
bool check_state_dir(const std::string& path, bool create);

/// Writes `content` to `dir`/`name` atomically: a temp file beside it, then rename(2),
/// so readers see the old or the new content, never a torn one. The file gets `mode`
/// (less the umask): the state dir's files are private, a bundle's or hooks.d's are not.
void write_file_atomic(const std::string& dir, const std::string& name, std::string_view content, unsigned mode = 0600);

/// Reads a whole file of at most `max` bytes; nullopt when it does not exist.
/// Throws Error::system on other errors, Error::input when it is larger than `max`.
std::optional<std::string> read_file(const std::string& path, std::size_t max);

}  // namespace hookwire
