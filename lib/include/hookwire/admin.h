// What the `hookwire` command does beyond the hooks: list, check, collect garbage.
#pragma once

#include <string>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/ledger.h>

namespace hookwire {

/// Every readable ledger record under the state dir, sorted by id. Unreadable
/// ones are skipped (gc repairs them).
HOOKWIRE_EXPORT std::vector<LedgerEntry> list_entries(const std::string& state_dir);

/// Compares container `id`'s links, addresses, default routes, the profile's
/// extra routes, host port leases and firewall elements with its record, under
/// the id's lock.
/// Returns one line per difference; empty when all is as recorded. An unknown id
/// is Error::input, and so is an id that is not valid (state.h).
HOOKWIRE_EXPORT std::vector<std::string> check_container(const std::string& state_dir, const std::string& id);

/// Releases what a runtime that never ran poststop left behind: records whose
/// netns no longer exists (with their links and leases), unreadable records,
/// leases whose owner has no record, and files hookwire did not write. Returns one
/// line per thing released.
HOOKWIRE_EXPORT std::vector<std::string> collect_garbage(const std::string& state_dir);

/// Rebuilds hookwire's nftables table (inet hookwire) from the ledger: a fresh
/// skeleton and the elements of every recorded container, after `nft flush
/// ruleset` or a firewalld reload. Returns how many containers it restored.
HOOKWIRE_EXPORT std::size_t reload_firewall(const std::string& state_dir);
/// The elements of hookwire's table that no record holds, one line each
/// (`hookwire check` without an id; gc deletes them).
HOOKWIRE_EXPORT std::vector<std::string> firewall_extra_elements(const std::string& state_dir);
}  // namespace hookwire
