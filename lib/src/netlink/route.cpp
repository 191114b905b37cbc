#include "netlink/route.h"

#include <hookwire/error.h>

#include <cerrno>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>

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

namespace {

std::optional<IpAddress> address_attr(const nlattr* attr, Family family) {
  std::size_t size = family == Family::v4 ? 4 : 16;
  if (!attr || static_cast<std::size_t>(nla_len(attr)) < size) return std::nullopt;
  return IpAddress::from_bytes(family, static_cast<const std::uint8_t*>(nla_data(attr)));
}

// The first nexthop of an RTA_MULTIPATH attribute: its gateway and interface.
void first_nexthop(const nlattr* multipath, Family family, RouteInfo& info) {
  int len = nla_len(multipath);
  if (len < static_cast<int>(sizeof(rtnexthop))) return;
  const auto* nh = static_cast<const rtnexthop*>(nla_data(multipath));
  if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > len) return;
  info.oif = nh->rtnh_ifindex;
  auto* attrs = reinterpret_cast<nlattr*>(RTNH_DATA(const_cast<rtnexthop*>(nh)));
  int remaining = nh->rtnh_len - static_cast<int>(RTNH_LENGTH(0));
  for (; nla_ok(attrs, remaining); attrs = nla_next(attrs, &remaining))
    if (nla_type(attrs) == RTA_GATEWAY) info.gateway = address_attr(attrs, family);
}

}  // namespace

std::optional<RouteInfo> parse_route(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWROUTE || nlh.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  auto* header = const_cast<nlmsghdr*>(&nlh);
  const auto* rtm = static_cast<const rtmsg*>(nlmsg_data(header));
  RouteInfo info;
  if (rtm->rtm_family == AF_INET)
    info.family = Family::v4;
  else if (rtm->rtm_family == AF_INET6)
    info.family = Family::v6;
  else
    return std::nullopt;
  nlattr* tb[RTA_MAX + 1] = {};
  if (nlmsg_parse(header, sizeof(rtmsg), tb, RTA_MAX, nullptr) < 0) return std::nullopt;
  std::uint8_t zeros[16] = {};
  auto dst = address_attr(tb[RTA_DST], info.family);
  info.destination = {dst ? *dst : IpAddress::from_bytes(info.family, zeros), rtm->rtm_dst_len};
  info.gateway = address_attr(tb[RTA_GATEWAY], info.family);
  info.source = address_attr(tb[RTA_PREFSRC], info.family);
  if (tb[RTA_OIF]) info.oif = static_cast<int>(nla_get_u32(tb[RTA_OIF]));
  if (tb[RTA_MULTIPATH]) first_nexthop(tb[RTA_MULTIPATH], info.family, info);
  info.table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
  info.type = rtm->rtm_type;
  return info;
}

}  // namespace hookwire::netlink
