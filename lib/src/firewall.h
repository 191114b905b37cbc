// The world: outbound NAT, published ports and isolation between networks, in
// hookwire's own nftables table (`inet hookwire`).
//
// The table is a static skeleton (chains, rules, sets and maps; firewall_skeleton())
// plus elements. Everything per container is an element, and follows from its
// ledger record alone (LedgerFirewall), so wiring adds and unwiring deletes
// exactly its own in one netlink transaction, check compares them, gc deletes
// those of containers that are gone, and reload rebuilds the table from the
// ledger after a `nft flush ruleset`. The cost per container never depends on how
// many containers or ports there are: nothing lists the ruleset or scans rules.
#pragma once

#include <string>
#include <vector>

#include <hookwire/ledger.h>
#include <hookwire/profile.h>

#include "log.h"
#include "unique_fd.h"
#include "nft_elements.h"
#include "port_spec.h"

namespace hookwire {

/// STATE_DIR/firewall.lock. Hooks hold it shared from the moment a container's
/// firewall facts go on record until its elements are in the table (wire), and
/// from its elements' deletion until its record is gone (unwire); a rebuild of
/// the table holds it exclusively, so it never reads a record whose elements are
/// half-way in or out.
class FirewallLock {
 public:
  enum class Mode { shared, exclusive };
  FirewallLock(const std::string& state_dir, Mode mode);
  void set(Mode mode);

 private:
  UniqueFd fd_;
};

/// The table's name, in family inet.
inline constexpr const char* kFirewallTable = "hookwire";

/// The skeleton, as `nft -f` text: it replaces the table as one transaction.
std::string firewall_skeleton();

/// Judges the io.hookwire.ports entries against the profile's "ports" policy and
/// the host's addresses, before anything changes: Error::input for a profile that
/// publishes nothing, a host port outside its ranges, more ports than its max, a
/// host address it does not allow or that the host does not have.
void check_ports(const Profile& profile, const std::vector<PortSpec>& specs);

/// The firewall facts of a container: its addresses with their bridges, what the
/// profile says of NAT and isolation, and every published port expanded to one
/// host port of one family. Error::input when a port asks for a family the
/// container has no address of.
LedgerFirewall plan_firewall(const Profile& profile, const std::vector<PortSpec>& specs,
                             const std::vector<LedgerMember>& members);

/// The host ports the facts hold (what is leased).
std::vector<HostPort> leased_ports(const LedgerFirewall& firewall);

/// A container's own elements: members, NAT, isolation, ports.
std::vector<nft::Element> container_elements(const LedgerFirewall& firewall);

/// An element as nft would print it, with its set: "wild4 tcp . 8080 : 10.213.0.5 . 80".
std::string describe_element(const nft::Element& element);

/// Switches on what the profile needs of the host: net.ipv4.ip_forward (NAT or
/// published ports), IPv6 forwarding (nat.ipv6), and route_localnet on its bridges
/// (published ports, so that the host's 127.0.0.1 reaches them). Logs each
/// setting it changes; never switches one off.
void prepare_host(const Profile& profile, const std::vector<std::string>& bridges, Logger& log);

/// Adds the container's elements and its bridges to @bridges, in one transaction.
/// When the table or one of its sets is missing (first use, a flushed ruleset, an
/// older skeleton), or its rules are not the skeleton's, rebuilds it, with every recorded container's elements, in one
/// `nft -f` transaction, holding `lock` (held shared by the caller) exclusively
/// meanwhile.
void firewall_add(const std::string& state_dir, const LedgerFirewall& firewall, FirewallLock& lock, Logger& log);

/// Deletes the container's elements; missing ones (or a missing table) are success.
/// Returns how many it deleted.
std::size_t firewall_remove(const LedgerFirewall& firewall);

/// Replaces the table with a fresh skeleton and the elements of every recorded
/// container, in one transaction. Returns how many containers it restored.
std::size_t firewall_reload(const std::string& state_dir);

/// How many rules the skeleton has.
std::size_t skeleton_rules();

/// What differs between the container's recorded elements and the table: a
/// missing table, a table whose rules are not the skeleton's, or one line per
/// missing element.
std::vector<std::string> firewall_differences(const LedgerFirewall& firewall);

/// The elements no record holds (a container gone without its poststop, a record
/// removed by hand), and @bridges elements whose bridge no longer exists: deleted
/// unless `dry_run`, one line each. The table is listed before the records are
/// read, so an element a hook adds meanwhile (its record is written first) is
/// never taken for an extra.
std::vector<std::string> firewall_extras(const std::string& state_dir, bool dry_run);

}  // namespace hookwire
