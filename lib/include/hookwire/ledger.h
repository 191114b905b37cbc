// The ledger: one record per wired container, so teardown, ls, check and gc need
// no guessing. Records are written atomically (temp file + rename).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/namespaces.h>

namespace hookwire {

/// A veth hookwire created: the host end, the container end and the bridge.
struct HOOKWIRE_EXPORT LedgerLink {
  std::string host;
  std::string container;
  std::string bridge;
  bool operator==(const LedgerLink&) const = default;
};

/// An address a container holds; `pool` is the pool key, empty for a static one.
struct HOOKWIRE_EXPORT LedgerAddress {
  std::string cidr;
  std::string pool;
  bool operator==(const LedgerAddress&) const = default;
};

/// A route of the profile's `routes` that wiring added in the container's netns,
/// as the profile wrote it (`interface_name` empty: the kernel chose).
struct HOOKWIRE_EXPORT LedgerRoute {
  std::string destination;
  std::string gateway;
  std::string source;
  std::string interface_name;
  bool operator==(const LedgerRoute&) const = default;
};

/// A container address and the bridge it sits on: the firewall knows a container
/// by these (isolation, hairpin NAT).
struct HOOKWIRE_EXPORT LedgerMember {
  std::string address;  // no prefix
  std::string bridge;
  bool operator==(const LedgerMember&) const = default;
};

/// One published host port of one family, and where it leads.
struct HOOKWIRE_EXPORT LedgerPort {
  std::string host_address;  // "0.0.0.0" or "::": every host address of that family
  std::string protocol;      // "tcp", "udp", "sctp"
  std::uint16_t host_port = 0;
  std::string address;  // the container's
  std::uint16_t port = 0;
  bool operator==(const LedgerPort&) const = default;
};

/// What the container has in hookwire's nftables table: its elements follow from
/// this alone (firewall.h), so teardown, check, gc and reload need nothing else.
struct HOOKWIRE_EXPORT LedgerFirewall {
  std::vector<LedgerMember> members;
  bool nat4 = false;     // its IPv4 addresses are masqueraded on the way out
  bool nat6 = false;     // and its IPv6 ones
  bool isolate = false;  // its profile isolates it from other networks
  std::vector<LedgerPort> ports;
  bool empty() const { return members.empty() && ports.empty(); }
  bool operator==(const LedgerFirewall&) const = default;
};

/// The names a container answers to on its network, for a profile with
/// "dns": {"names": true}. The resolver (hookwire-dns) serves them from this alone:
/// its addresses are those of `addresses` inside `clients`.
struct HOOKWIRE_EXPORT LedgerNames {
  std::string bridge;                // its network: the bridge of its first veth
  std::string domain;                // "hookwire": NAME.DOMAIN resolves as well as NAME
  std::vector<std::string> names;    // lowercase host names: hostname, id, aliases
  std::vector<std::string> servers;  // the resolver's addresses there: the pools' gateways
  std::vector<std::string> clients;  // who may ask: the pools' subnets, "10.213.0.0/16"
  bool empty() const { return names.empty(); }
  bool operator==(const LedgerNames&) const = default;
};

/// What was done for one container.
struct HOOKWIRE_EXPORT LedgerEntry {
  std::string id;
  std::string profile;
  /// "wiring" until the wiring completed (a crash leaves it so), then "wired",
  /// then "running" after poststart.
  std::string status;
  NsId netns;
  std::uint64_t netns_cookie = 0;  // SO_NETNS_COOKIE: tells a reused inode apart
  std::string netns_path;          // the path it was opened from
  int pid = 0;
  std::vector<LedgerLink> links;
  std::vector<LedgerAddress> addresses;
  std::vector<LedgerRoute> routes;  // the profile's extra routes, for `hookwire check`
  std::vector<std::string> pools;   // pool keys where leases may exist
  LedgerFirewall firewall;          // its nftables elements and host port leases
  LedgerNames dns;                  // its names on its network, when its profile serves names
  std::string created;              // RFC 3339, UTC
  std::string updated;
};

/// The modes of the ledger directory and its records: the resolver reads them
/// after dropping root, through a descriptor opened before (STATE_DIR stays 0700).
inline constexpr unsigned kLedgerDirMode = 0711;
inline constexpr unsigned kLedgerRecordMode = 0644;

/// The ledger in STATE_DIR/ledger/.
class HOOKWIRE_EXPORT Ledger {
 public:
  explicit Ledger(const std::string& state_dir);

  /// The record of `id`; nullopt when there is none. A record that cannot be
  /// read or parsed throws Error::input naming the file.
  std::optional<LedgerEntry> find(std::string_view id) const;
  /// Writes the record atomically, stamping `updated`.
  void write(LedgerEntry& entry) const;
  /// Removes the record of `id`; false when there was none.
  bool remove(std::string_view id) const;
  /// Whether a record of `id` is there, readable or not (a look at the file, no
  /// parse): what a lock holder asks before it retires the id's lock, and the
  /// cheap first look of a stage that only acts on wired containers.
  bool holds(std::string_view id) const;
  /// The ids that have a record (valid or not), sorted.
  std::vector<std::string> ids() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace hookwire
