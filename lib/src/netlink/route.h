// Route requests (RTM_NEWROUTE / RTM_DELROUTE) built with libnl, and the parse of route messages.
#pragma once

#include <optional>

#include <hookwire/ip.h>

#include "netlink/ptr.h"

struct nlmsghdr;

namespace hookwire::netlink {

/// A main-table unicast route.
struct RouteSpec {
  Cidr destination;  // prefix 0: a default route
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> source;  // RTA_PREFSRC
  int oif = 0;                      // 0: the kernel picks the interface
};

/// The request that adds a route, and the one that removes it again.
struct RouteRequests {
  MsgPtr add;     // create, exclusive
  MsgPtr remove;
};
RouteRequests route_requests(const RouteSpec& spec);

/// What an RTM_NEWROUTE message says about one route.
struct RouteInfo {
  Family family = Family::v4;
  Cidr destination;
  std::optional<IpAddress> gateway;  // the first nexthop's, for multipath routes
  std::optional<IpAddress> source;
  int oif = 0;
  unsigned table = 0;
  unsigned type = 0;  // RTN_*
};

/// Parses an RTM_NEWROUTE message of family AF_INET or AF_INET6; nullopt otherwise.
std::optional<RouteInfo> parse_route(const nlmsghdr& nlh);

}  // namespace hookwire::netlink
