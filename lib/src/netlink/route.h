// Route requests (RTM_NEWROUTE / RTM_DELROUTE) built with libnl.
#pragma once

#include <optional>

#include <hookwire/ip.h>

#include "netlink/ptr.h"

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
  MsgPtr add;  // create, exclusive
  MsgPtr remove;
};
RouteRequests route_requests(const RouteSpec& spec);

}  // namespace hookwire::netlink
