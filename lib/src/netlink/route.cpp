#include "netlink/route.h"

#include <hookwire/error.h>

#include <cerrno>

#include <linux/rtnetlink.h>

#include "netlink/address.h"
#include "netlink/link.h"

namespace hookwire::netlink {

RouteRequests route_requests(const RouteSpec& spec) {
  RoutePtr route(rtnl_route_alloc());
  if (!route) throw Error::system(ENOMEM, "allocate route object");
  rtnl_route_set_family(route.get(), spec.destination.family() == Family::v4 ? AF_INET : AF_INET6);
  NlAddrPtr dst = to_nl(spec.destination.network().address, spec.destination.prefix);
  check_built(rtnl_route_set_dst(route.get(), dst.get()), "set route destination");
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);  // what `ip route add` uses
  if (spec.source) {
    NlAddrPtr source = to_nl(*spec.source);
    check_built(rtnl_route_set_pref_src(route.get(), source.get()), "set route source");
  }
  if (spec.gateway || spec.oif) {
    NexthopPtr nexthop(rtnl_route_nh_alloc());
    if (!nexthop) throw Error::system(ENOMEM, "allocate nexthop object");
    if (spec.oif) rtnl_route_nh_set_ifindex(nexthop.get(), spec.oif);
    if (spec.gateway) {
      NlAddrPtr gateway = to_nl(*spec.gateway);
      rtnl_route_nh_set_gateway(nexthop.get(), gateway.get());  // takes its own reference
    }
    rtnl_route_add_nexthop(route.get(), nexthop.release());  // the route owns it now
  }
  RouteRequests requests;
  nl_msg* msg = nullptr;
  check_built(rtnl_route_build_add_request(route.get(), NLM_F_EXCL, &msg), "build route request");
  requests.add.reset(msg);
  msg = nullptr;
  check_built(rtnl_route_build_del_request(route.get(), 0, &msg), "build route delete request");
  requests.remove.reset(msg);
  return requests;
}

}  // namespace hookwire::netlink
