// Finding a container's network namespace, and telling whether one still exists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <hookwire/ledger.h>
#include <hookwire/namespaces.h>
#include <hookwire/state.h>

namespace hookwire {

/// The container's netns: /proc/PID/ns/net when the State has a pid, else the
/// network namespace path in the bundle's config.json. nullopt when there is
/// neither (nothing to wire). A pid that names no process is Error::input.
std::optional<NsHandle> find_container_netns(const State& state);

/// Whether the namespace open at `fd` is the one `entry` records: same inode and,
/// when the record has one, same cookie (inode numbers are reused).
bool is_recorded_netns(const LedgerEntry& entry, int fd);

/// A path that opens the namespace a ledger entry records, if it still exists
/// anywhere: the recorded pid's or path's, a bind mount's, or some process's
/// namespace or open fd. For gc and check: not cheap, not on any hook's path.
std::optional<std::string> find_recorded_netns(const LedgerEntry& entry);

/// A path field of /proc/PID/mountinfo as the path it names: the kernel's \040
/// (space), \011, \012 and \134 escapes decoded.
std::string unescape_mountinfo(std::string_view field);

}  // namespace hookwire
