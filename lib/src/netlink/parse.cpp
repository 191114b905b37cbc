#include "netlink/parse.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

namespace hookwire::netlink {

namespace {

// The attributes in [data, data + len), indexed by type; later duplicates win.
template <std::size_t Max>
std::array<const rtattr*, Max + 1> attributes(const void* data, std::size_t len) {
  std::array<const rtattr*, Max + 1> table{};
  auto* rta = static_cast<rtattr*>(const_cast<void*>(data));
  auto left = static_cast<unsigned>(len);  // RTA_OK compares with rta_len, unsigned
  for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) {
    unsigned type = rta->rta_type & NLA_TYPE_MASK;  // without NLA_F_NESTED
    if (type <= Max) table[type] = rta;
  }
  return table;
}

// The attributes that follow a message's fixed header of `header_size` bytes.
template <std::size_t Max>
std::array<const rtattr*, Max + 1> message_attributes(const nlmsghdr& nlh, std::size_t header_size) {
  std::size_t start = NLMSG_ALIGN(header_size);
  std::size_t payload = nlh.nlmsg_len - NLMSG_HDRLEN;
  if (payload <= start) return {};
  return attributes<Max>(static_cast<const char*>(NLMSG_DATA(&nlh)) + start, payload - start);
}

std::string string_of(const rtattr* rta) {
  const auto* text = static_cast<const char*>(RTA_DATA(rta));
  return {text, strnlen(text, RTA_PAYLOAD(rta))};
}

std::optional<std::uint32_t> u32_of(const rtattr* rta) {
  if (!rta || RTA_PAYLOAD(rta) < sizeof(std::uint32_t)) return std::nullopt;
  std::uint32_t value;
  std::memcpy(&value, RTA_DATA(rta), sizeof value);
  return value;
}

int int_of(const rtattr* rta) {
  return static_cast<int>(u32_of(rta).value_or(0));
}

std::string hardware_address(const rtattr* rta) {
  const auto* bytes = static_cast<const unsigned char*>(RTA_DATA(rta));
  std::string text;
  for (std::size_t i = 0; i < RTA_PAYLOAD(rta); ++i) {
    char part[4];
    std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", bytes[i]);
    text += part;
  }
  return text;
}

std::optional<IpAddress> address_of(const rtattr* rta, Family family) {
  std::size_t size = family == Family::v4 ? 4 : 16;
  if (!rta || RTA_PAYLOAD(rta) < size) return std::nullopt;
  return IpAddress::from_bytes(family, static_cast<const std::uint8_t*>(RTA_DATA(rta)));
}

std::optional<Family> family_of(unsigned char af) {
  if (af == AF_INET) return Family::v4;
  if (af == AF_INET6) return Family::v6;
  return std::nullopt;
}

// The first nexthop of an RTA_MULTIPATH attribute: its interface and gateway.
void first_nexthop(const rtattr* multipath, RouteInfo& info) {
  std::size_t len = RTA_PAYLOAD(multipath);
  if (len < sizeof(rtnexthop)) return;
  const auto* nh = static_cast<const rtnexthop*>(RTA_DATA(multipath));
  if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > len) return;
  info.oif = nh->rtnh_ifindex;
  auto nested = attributes<RTA_MAX>(RTNH_DATA(nh), nh->rtnh_len - RTNH_LENGTH(0));
  info.gateway = address_of(nested[RTA_GATEWAY], info.family);
}

}  // namespace

std::optional<LinkInfo> parse_link(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWLINK || nlh.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(&nlh));
  auto tb = message_attributes<IFLA_MAX>(nlh, sizeof(ifinfomsg));
  LinkInfo info;
  info.index = ifi->ifi_index;
  info.flags = ifi->ifi_flags;
  if (tb[IFLA_IFNAME]) info.name = string_of(tb[IFLA_IFNAME]);
  if (tb[IFLA_IFALIAS]) info.alias = string_of(tb[IFLA_IFALIAS]);
  info.link = int_of(tb[IFLA_LINK]);
  info.master = int_of(tb[IFLA_MASTER]);
  info.mtu = int_of(tb[IFLA_MTU]);
  info.txqlen = int_of(tb[IFLA_TXQLEN]);
  if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) > 0) info.mac = hardware_address(tb[IFLA_ADDRESS]);
  if (tb[IFLA_LINKINFO]) {
    auto li = attributes<IFLA_INFO_MAX>(RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]));
    if (li[IFLA_INFO_KIND]) info.kind = string_of(li[IFLA_INFO_KIND]);
  }
  return info;
}

std::optional<AddressInfo> parse_address(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWADDR || nlh.nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(&nlh));
  auto family = family_of(ifa->ifa_family);
  if (!family) return std::nullopt;
  auto tb = message_attributes<IFA_MAX>(nlh, sizeof(ifaddrmsg));
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on
  // point-to-point links, and the only one IPv6 sends.
  auto address = address_of(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS], *family);
  if (!address) return std::nullopt;
  AddressInfo info;
  info.index = static_cast<int>(ifa->ifa_index);
  info.cidr = {*address, ifa->ifa_prefixlen};
  info.flags = u32_of(tb[IFA_FLAGS]).value_or(ifa->ifa_flags);
  return info;
}

std::optional<RouteInfo> parse_route(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWROUTE || nlh.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(&nlh));
  auto family = family_of(rtm->rtm_family);
  if (!family) return std::nullopt;
  auto tb = message_attributes<RTA_MAX>(nlh, sizeof(rtmsg));
  RouteInfo info;
  info.family = *family;
  std::uint8_t zeros[16] = {};
  info.destination = {address_of(tb[RTA_DST], info.family).value_or(IpAddress::from_bytes(info.family, zeros)),
                      rtm->rtm_dst_len};
  info.gateway = address_of(tb[RTA_GATEWAY], info.family);
  info.source = address_of(tb[RTA_PREFSRC], info.family);
  info.oif = int_of(tb[RTA_OIF]);
  if (tb[RTA_MULTIPATH]) first_nexthop(tb[RTA_MULTIPATH], info);
  info.table = u32_of(tb[RTA_TABLE]).value_or(rtm->rtm_table);
  info.type = rtm->rtm_type;
  return info;
}

}  // namespace hookwire::netlink
