// Read-only views of a network namespace's links, addresses and routes, for the
// readiness gate and `hookwire check`. Needs no privilege.
#pragma once

#include <string>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/ip.h>

namespace hookwire {

struct HOOKWIRE_EXPORT InterfaceAddress {
  Cidr cidr;
  bool tentative = false;  // IFA_F_TENTATIVE: DAD has not finished
};

struct HOOKWIRE_EXPORT InterfaceState {
  std::string name;
  int index = 0;
  std::string kind;      // IFLA_INFO_KIND: "veth", "bridge", ... ; empty for lo
  bool up = false;       // IFF_UP
  bool running = false;  // IFF_RUNNING (carrier)
  int mtu = 0;
  int txqueuelen = 0;
  int master = 0;   // ifindex of the master, 0 when none
  std::string mac;  // "aa:bb:cc:dd:ee:ff", empty when none
  std::vector<InterfaceAddress> addresses;
};

struct HOOKWIRE_EXPORT RouteState {
  Family family = Family::v4;
  std::string destination;  // "default" or CIDR text
  std::string gateway;      // empty when none
  std::string source;       // preferred source, empty when none
  int oif = 0;              // output ifindex
};

/// Every link of the calling thread's netns, with its addresses.
HOOKWIRE_EXPORT std::vector<InterfaceState> list_interfaces();
/// The main-table unicast routes of the calling thread's netns, both families.
HOOKWIRE_EXPORT std::vector<RouteState> list_routes();

}  // namespace hookwire
