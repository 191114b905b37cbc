// The resolver's name table: the names of the containers on each network, as the
// ledger records them (LedgerNames), indexed for lookups and kept by changes of
// one record at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <hookwire/ip.h>
#include <hookwire/ledger.h>

namespace hookwire::dns {

/// What the table says of one question asked on one network.
struct Lookup {
  enum class Kind {
    forward,   // not a name of the network: the host's resolvers answer it
    answer,    // a name of the network: `addresses` or `targets` (possibly none: NODATA)
    nxdomain,  // in the network's domain or pools, and no such name or address
  };
  Kind kind = Kind::forward;
  std::vector<IpAddress> addresses;  // A or AAAA answers
  std::vector<std::string> targets;  // PTR answers, "web.hookwire"
};

class NameTable {
 public:
  /// Replaces what record `id` contributes: its names, when it is wired and
  /// serves names, else nothing.
  void set(const LedgerEntry& entry);
  /// Drops what record `id` contributed; false when it contributed nothing.
  bool remove(const std::string& id);
  void clear();

  /// The network (its bridge) served on `server`, a gateway address; nullptr
  /// when no container with names is on a network there.
  const std::string* network_at(const IpAddress& server) const;
  /// Whether `client` may ask on `bridge`: it is inside one of its pools.
  bool is_client(const std::string& bridge, const IpAddress& client) const;
  /// The answer to QNAME (lowercase, no final dot) of QTYPE asked on `bridge`.
  Lookup lookup(const std::string& bridge, std::string_view qname, std::uint16_t qtype) const;

  /// Every gateway address some network is served on.
  std::vector<IpAddress> servers() const;
  std::size_t containers() const { return containers_.size(); }
  std::size_t names() const;
  bool empty() const { return containers_.empty(); }

 private:
  struct Container {
    std::string bridge;
    std::string domain;
    std::vector<std::string> names;
    std::vector<IpAddress> addresses;
    std::vector<IpAddress> servers;
    std::vector<Cidr> clients;
  };
  struct Network {
    std::unordered_map<std::string, std::vector<std::string>> ids_by_name;
    std::map<IpAddress, std::vector<std::string>> ids_by_address;
    std::map<std::string, std::size_t> domains;  // domain -> containers using it
    std::map<Cidr, std::size_t> clients;         // pool subnet -> containers in it
  };
  void index(const std::string& id, const Container& container);
  void unindex(const std::string& id, const Container& container);
  Lookup answer_name(const Network& network, const std::string& name, std::uint16_t qtype) const;
  Lookup answer_reverse(const Network& network, const IpAddress& address) const;

  std::unordered_map<std::string, Container> containers_;
  std::unordered_map<std::string, Network> networks_;
  std::map<IpAddress, std::pair<std::string, std::size_t>> servers_;  // -> bridge, containers
};

/// The address a reverse name (4.3.2.1.in-addr.arpa, 32 nibbles.ip6.arpa) names;
/// nullopt for any other name, a partial one included.
std::optional<IpAddress> address_of_reverse_name(std::string_view name);

}  // namespace hookwire::dns
