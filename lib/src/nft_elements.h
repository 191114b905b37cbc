// nftables set and map elements over netlink, in process: what a hook changes in
// hookwire's table per container. The table's skeleton (chains, rules, sets) is
// loaded once with `nft -f` (firewall.cpp); everything per container is an
// element, added or deleted here in one transaction (NFNL_MSG_BATCH_BEGIN ..
// NFNL_MSG_BATCH_END), so that its cost never depends on the size of the ruleset.
// Messages are built with libnl-3 (already linked, LGPL-2.1, static archive in
// Debian); the attribute layout is the kernel's, <linux/netfilter/nf_tables.h>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hookwire::nft {

/// One element of a set or map of an `inet` table. `key` and `data` are the
/// kernel's bytes: each field of a concatenation padded to a multiple of 4 bytes,
/// addresses and ports in network order (firewall.cpp builds them).
struct Element {
  std::string set;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> data;  // empty for a set's element
  auto operator<=>(const Element&) const = default;
};

/// Whether table `inet TABLE` exists in the current network namespace.
bool table_exists(const std::string& table);

/// Adds `add` and deletes `remove` in table `inet TABLE`, all in one transaction:
/// either every change is made or none is. Adding an element that is already
/// there with the same data is not an error; with other data it is EEXIST. The
/// deletions are made first (by key alone), so one commit can give a map key new
/// data. Throws Error::system with the kernel's errno, naming the set of the
/// element that failed: ENOENT when the table, a set or an element to delete is
/// missing (an element listed twice in `remove` is missing the second time).
void commit(const std::string& table, const std::vector<Element>& add, const std::vector<Element>& remove);

/// How many rules table `inet TABLE` holds, in all its chains (one netlink dump).
std::size_t count_rules(const std::string& table);

/// Every element of set or map `set` in table `inet TABLE` (one netlink dump).
std::vector<Element> list_elements(const std::string& table, const std::string& set);

/// Runs `nft -f -` with `text` on its standard input (the skeleton, and the
/// table's deletion for tests). Throws a system Error (Kind::system) whose message
/// is "nft -f: " and nft's first error line.
void run_nft(const std::string& text);

}  // namespace hookwire::nft
