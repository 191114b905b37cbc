// Network profiles: a libcontainer Config plus hookwire's own keys (address pools,
// DNS, sysctls), chosen per container among what the administrator installed.
// Reading them from files, with the ownership checks, is profile_load.h's.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/config.h>
#include <hookwire/export.h>
#include <hookwire/ip.h>

namespace hookwire {

/// An address pool: a subnet and its gateway (which lives on the bridge).
struct HOOKWIRE_EXPORT PoolSpec {
  Cidr subnet;  // the network, host bits zero
  IpAddress gateway;

  /// The gateway with the subnet's prefix, as the bridge carries it.
  Cidr gateway_cidr() const { return {gateway, subnet.prefix}; }
  /// A file-name-safe key for the pool's lease directory: "10.213.0.0-16".
  std::string key() const;
};

/// What goes into the container's /etc/resolv.conf, and whether hookwire's
/// resolver serves the network's names.
struct HOOKWIRE_EXPORT DnsSpec {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool names = false;  // "names": hookwire-dns answers on the pools' gateways
  std::string domain;  // "domain": NAME.DOMAIN; kDefaultDnsDomain when names is on and this is unset
};

/// The domain of a network's names when its profile names none.
inline constexpr std::string_view kDefaultDnsDomain = "hookwire";

/// "nat": masquerade for what the profile's containers send out of the host.
struct HOOKWIRE_EXPORT NatSpec {
  bool outbound = false;  // "outbound": IPv4 (and IPv6 with "ipv6") leaving through any other interface
  bool ipv6 = false;      // "ipv6": NAT66 too, for a ULA (fc00::/7) pool only
};

/// An inclusive range of host ports, "8000-8999" or "8080".
struct HOOKWIRE_EXPORT PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
};

/// "ports": which host ports the containers may publish (io.hookwire.ports).
struct HOOKWIRE_EXPORT PortPolicy {
  bool enabled = false;              // the key is there: without it nothing is published
  std::vector<PortRange> ranges;     // "ranges": the host ports that may be asked for
  std::vector<IpAddress> addresses;  // "addresses": the host addresses; 0.0.0.0 / :: mean every one
  bool any_address = true;           // no "addresses": every address the host has
  std::size_t max = 32;              // "max": host ports per container, each port of a range counted
};

/// A profile: /etc/hookwire/networks/NAME.json, or the built-in "default".
struct HOOKWIRE_EXPORT Profile {
  std::string name;
  Config config;                               // networks, routes, Hooks, labels
  std::optional<PoolSpec> ipv4;                // "ipam": {"ipv4": {"subnet", "gateway"}}
  std::optional<PoolSpec> ipv6;                // "ipam": {"ipv6": {...}}
  DnsSpec dns;                                 // "dns": resolv.conf is written when it has nameservers
  bool etc_hosts = false;                      // "etc_hosts": write /etc/hosts in the rootfs
  std::map<std::string, std::string> sysctls;  // "sysctls": allowlisted net.* keys
  NatSpec nat;                                 // "nat"
  PortPolicy ports;                            // "ports"
  bool isolate = true;                         // "isolate": false lets other networks' containers in
};

/// The most host ports a profile's "ports.max" may let one container hold.
inline constexpr std::size_t kMaxPublishedPortsPerContainer = 1024;

/// The name of the profile used when nothing chooses one.
inline constexpr std::string_view kDefaultProfileName = "default";

/// Whether `name` may name a profile: [a-z0-9][a-z0-9_.-]{0,63}.
HOOKWIRE_EXPORT bool is_valid_profile_name(std::string_view name);

/// Whether a sysctl key is on the allowlist (per-netns net.ipv4.*, net.ipv6.*, ...).
HOOKWIRE_EXPORT bool is_allowed_sysctl(std::string_view key);

/// Parses a profile's JSON text without validating it: only its structure and
/// types are checked. Throws Error::input ("profile NAME: field: ...").
HOOKWIRE_EXPORT Profile read_profile(std::string_view json, std::string name);
/// Parses and validates a profile's JSON text. Throws Error::input with the first problem.
HOOKWIRE_EXPORT Profile parse_profile(std::string_view json, std::string name);

/// Every problem with a parsed profile, one line each; empty when valid.
HOOKWIRE_EXPORT std::vector<std::string> validate(const Profile& profile);

/// The built-in default profile: bridge hookwire0, 10.213.0.0/16 via 10.213.0.1,
/// fd00:213::/64 via fd00:213::1, eth0, with loopback.
HOOKWIRE_EXPORT Profile default_profile();

}  // namespace hookwire
