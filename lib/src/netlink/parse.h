// What the kernel's RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages say. Plain
// libc, no libnl: the statically linked readiness gate reads these too.
#pragma once

#include <optional>
#include <string>

#include <linux/netlink.h>

#include <hookwire/ip.h>

namespace hookwire::netlink {

/// What an RTM_NEWLINK message says about one link.
struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND; empty for lo and physical devices
  unsigned flags = 0;
  int link = 0;  // IFLA_LINK: for a veth, the peer's ifindex in the peer's netns
  int master = 0;
  int mtu = 0;
  int txqlen = 0;
  std::string mac;    // "aa:bb:cc:dd:ee:ff"; empty when the link has none
  std::string alias;  // IFLA_IFALIAS; empty when unset
};

/// What an RTM_NEWADDR message says about one address.
struct AddressInfo {
  int index = 0;
  Cidr cidr;
  unsigned flags = 0;  // IFA_F_*, from IFA_FLAGS when present
};

/// What an RTM_NEWROUTE message says about one route.
struct RouteInfo {
  Family family = Family::v4;
  Cidr destination;
  std::optional<IpAddress> gateway;  // the first nexthop's, for multipath routes
  std::optional<IpAddress> source;   // RTA_PREFSRC
  int oif = 0;
  unsigned table = 0;
  unsigned type = 0;  // RTN_*
};

/// Parses an RTM_NEWLINK message; nullopt for any other message.
std::optional<LinkInfo> parse_link(const nlmsghdr& nlh);
/// Parses an RTM_NEWADDR message of family AF_INET or AF_INET6; nullopt otherwise.
std::optional<AddressInfo> parse_address(const nlmsghdr& nlh);
/// Parses an RTM_NEWROUTE message of family AF_INET or AF_INET6; nullopt otherwise.
std::optional<RouteInfo> parse_route(const nlmsghdr& nlh);

}  // namespace hookwire::netlink
