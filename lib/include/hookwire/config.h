// The data model of runc's libcontainer/configs: Config, Network, Route, with
// JSON names exactly as runc writes them. Checking one is validate.h's.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/hooks.h>
#include <hookwire/namespaces.h>

namespace hookwire {

/// libcontainer's configs.Network: an interface to create in the container.
struct HOOKWIRE_EXPORT Network {
  std::string type;  // "loopback" or "veth"
  std::string name;  // container-side name
  std::string bridge;
  std::string mac_address;
  std::string address;  // IPv4 CIDR
  std::string gateway;  // IPv4
  std::string ipv6_address;
  std::string ipv6_gateway;
  int mtu = 0;  // 0: the kernel's default
  int txqueuelen = 0;
  std::string host_interface_name;
  bool hairpin_mode = false;

  bool operator==(const Network&) const = default;
};

/// libcontainer's configs.Route: a route added in the container netns.
struct HOOKWIRE_EXPORT Route {
  std::string destination;  // CIDR
  std::string source;       // preferred source address
  std::string gateway;
  std::string interface_name;  // empty: let the kernel choose

  bool operator==(const Route&) const = default;
};

/// The fields of libcontainer's configs.Config that hookwire models. Everything
/// else in a runc-written config (mounts, cgroups, ...) is ignored on parse.
struct HOOKWIRE_EXPORT Config {
  int parent_death_signal = 0;
  std::string rootfs;
  Namespaces namespaces;
  std::vector<Network> networks;
  std::vector<Route> routes;
  std::string apparmor_profile;
  std::string process_label;
  Hooks hooks;  // JSON key "Hooks" (the Go field has no json tag)
  std::string version;
  std::vector<std::string> labels;
};

/// Parses a libcontainer Config from JSON text. Unknown keys are ignored, null lists
/// are empty lists. Throws Error::input naming the field: "networks[1].mtu: ...".
HOOKWIRE_EXPORT Config parse_config(std::string_view json);
/// Serializes the modelled fields, in Go's field order, as runc writes them.
HOOKWIRE_EXPORT std::string to_json(const Config& config);

}  // namespace hookwire
