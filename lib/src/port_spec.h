// Published ports: the io.hookwire.ports annotation, parsed strictly. A container's
// creator writes it, so every entry is hostile until checked; what the profile
// allows (ranges, host addresses, how many) is judged later, in firewall.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/ip.h>

namespace hookwire {

/// The transport protocols a port may be published for (IANA protocol numbers).
enum class Protocol : std::uint8_t { tcp = 6, udp = 17, sctp = 132 };

/// "tcp", "udp" or "sctp".
std::string_view protocol_name(Protocol protocol);

/// "tcp", "udp", "sctp" (exactly, lower case); nullopt for anything else.
std::optional<Protocol> parse_protocol(std::string_view text);

/// A host port: what is leased, so that two containers never hold the same one.
struct HostPort {
  Protocol protocol;
  std::uint16_t port;
  auto operator<=>(const HostPort&) const = default;
};

/// One entry of the annotation: [HOST_ADDRESS:]HOST_PORT[-LAST]:CONTAINER_PORT[-LAST][/PROTOCOL].
/// HOST_ADDRESS is an IPv4 address or an IPv6 address in brackets ("[::1]").
struct PortSpec {
  /// nullopt: every host address, of each family the container has an address of.
  /// 0.0.0.0 or [::]: every host address of that family. Anything else: that address.
  std::optional<IpAddress> host_address;
  std::uint16_t host_first = 0;
  std::uint16_t host_last = 0;  // == host_first for a single port
  std::uint16_t container_first = 0;
  std::uint16_t container_last = 0;   // the range has the host range's length
  Protocol protocol = Protocol::tcp;  // when the entry names none
  bool operator==(const PortSpec&) const = default;
};

/// The most entries one annotation may hold, and the most host ports all its
/// ranges may add up to, whatever a profile allows (a profile may only lower them).
inline constexpr std::size_t kMaxPortEntries = 64;
inline constexpr std::size_t kMaxPublishedPorts = 1024;

/// Parses io.hookwire.ports: entries separated by ",", no spaces. Refuses, with
/// Error::input("annotation io.hookwire.ports=...: ENTRY: why"), an empty entry,
/// a number that is not decimal or overflows, port 0, a reversed range, a host
/// range and a container range of different lengths, an unknown protocol, an
/// address that does not parse, two entries that share a host port and protocol
/// (whatever their addresses: a host port is leased whole), and more than
/// kMaxPortEntries entries or kMaxPublishedPorts ports.
std::vector<PortSpec> parse_ports(std::string_view text);

/// Every host port the specs hold, in order.
std::vector<HostPort> host_ports(const std::vector<PortSpec>& specs);

}  // namespace hookwire
