// The io.hookwire.* annotations: what a container's creator may choose. They only
// choose among what the administrator allowed; they never name a bridge, a host
// interface, a route, a command or a path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <hookwire/ip.h>
#include <hookwire/state.h>

#include "port_spec.h"

namespace hookwire {

/// The annotation keys hookwire reads.
inline constexpr const char* kAnnotationNetwork = "io.hookwire.network";
inline constexpr const char* kAnnotationIp = "io.hookwire.ip";
inline constexpr const char* kAnnotationIp6 = "io.hookwire.ip6";
inline constexpr const char* kAnnotationMac = "io.hookwire.mac";
inline constexpr const char* kAnnotationDisable = "io.hookwire.disable";
inline constexpr const char* kAnnotationPorts = "io.hookwire.ports";
inline constexpr const char* kAnnotationAliases = "io.hookwire.aliases";

/// The most aliases one container may have.
inline constexpr std::size_t kMaxAliases = 16;

/// What the annotations ask for, each already checked for shape.
struct Choices {
  std::optional<std::string> network;  // a valid profile name
  std::optional<IpAddress> ip;         // IPv4
  std::optional<IpAddress> ip6;        // IPv6
  std::optional<MacAddress> mac;       // unicast
  bool disabled = false;
  std::vector<PortSpec> ports;       // published ports, not yet judged against the profile
  std::vector<std::string> aliases;  // more names on its network (lowercase labels), for dns.names profiles
};

/// Reads and checks the io.hookwire.* annotations. An unknown io.hookwire.* key,
/// an overlong value or a malformed one is Error::input naming the annotation.
Choices read_choices(const State& state);

}  // namespace hookwire
