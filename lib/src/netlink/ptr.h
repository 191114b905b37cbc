// Owning handles for libnl objects (file descriptors are hookwire::UniqueFd, unique_fd.h).
// Internal: never in public headers.
#pragma once

#include <memory>

#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

namespace hookwire::netlink {

/// A deleter that calls libnl's release function `Free` (a put or a free).
template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using MsgPtr = std::unique_ptr<nl_msg, Deleter<nlmsg_free>>;
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Deleter<rtnl_route_put>>;
using NexthopPtr = std::unique_ptr<rtnl_nexthop, Deleter<rtnl_route_nh_free>>;

}  // namespace hookwire::netlink
