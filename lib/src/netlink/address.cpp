#include "netlink/address.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "netlink/link.h"

namespace hookwire::netlink {

namespace {

int af_of(Family family) { return family == Family::v4 ? AF_INET : AF_INET6; }

// The IPv4 broadcast address of `cidr`: every host bit set.
IpAddress broadcast_of(const Cidr& cidr) {
  std::uint8_t bytes[4];
  for (int i = 0; i < 4; ++i) {
    int network_bits = std::clamp(cidr.prefix - i * 8, 0, 8);
    bytes[i] = static_cast<std::uint8_t>(cidr.address.data()[i] | (0xff >> network_bits));
  }
  return IpAddress::from_bytes(Family::v4, bytes);
}

}  // namespace

NlAddrPtr to_nl(const IpAddress& ip, int prefix) {
  NlAddrPtr addr(nl_addr_build(af_of(ip.family()), ip.data(), ip.size()));
  if (!addr) throw Error::system(ENOMEM, "allocate address " + ip.str());
  nl_addr_set_prefixlen(addr.get(), prefix < 0 ? ip.bits() : prefix);
  return addr;
}

MsgPtr add_address_request(int index, const Cidr& cidr) {
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw Error::system(ENOMEM, "allocate address object");
  rtnl_addr_set_ifindex(addr.get(), index);
  NlAddrPtr local = to_nl(cidr.address, cidr.prefix);
  check_built(rtnl_addr_set_local(addr.get(), local.get()), "set local address");
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  if (cidr.family() == Family::v4) {
    // As `ip addr add ... brd +` and runc do; /31 and /32 have no broadcast.
    if (cidr.prefix < 31) {
      NlAddrPtr broadcast = to_nl(broadcast_of(cidr));
      check_built(rtnl_addr_set_broadcast(addr.get(), broadcast.get()), "set broadcast address");
    }
  } else {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  }
  nl_msg* msg = nullptr;
  check_built(rtnl_addr_build_add_request(addr.get(), NLM_F_EXCL, &msg), "build address request");
  return MsgPtr(msg);
}

MsgPtr delete_address_request(int index, const Cidr& cidr) {
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw Error::system(ENOMEM, "allocate address object");
  rtnl_addr_set_ifindex(addr.get(), index);
  NlAddrPtr local = to_nl(cidr.address, cidr.prefix);
  check_built(rtnl_addr_set_local(addr.get(), local.get()), "set local address");
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  nl_msg* msg = nullptr;
  check_built(rtnl_addr_build_delete_request(addr.get(), 0, &msg), "build address delete request");
  return MsgPtr(msg);
}

std::optional<AddressInfo> parse_address(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWADDR || nlh.nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  auto* header = const_cast<nlmsghdr*>(&nlh);
  const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(header));
  Family family;
  if (ifa->ifa_family == AF_INET)
    family = Family::v4;
  else if (ifa->ifa_family == AF_INET6)
    family = Family::v6;
  else
    return std::nullopt;
  nlattr* tb[IFA_MAX + 1] = {};
  if (nlmsg_parse(header, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) return std::nullopt;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on
  // point-to-point links and the only one IPv6 sends.
  const nlattr* attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  std::size_t size = family == Family::v4 ? 4 : 16;
  if (!attr || static_cast<std::size_t>(nla_len(attr)) < size) return std::nullopt;
  AddressInfo info;
  info.index = static_cast<int>(ifa->ifa_index);
  info.cidr = {IpAddress::from_bytes(family, static_cast<const std::uint8_t*>(nla_data(attr))),
               ifa->ifa_prefixlen};
  info.flags = tb[IFA_FLAGS] ? nla_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
  return info;
}

bool has_address(Socket& socket, int index, const Cidr& cidr) {
  MsgPtr msg = dump_request(RTM_GETADDR, cidr.family() == Family::v4 ? AF_INET : AF_INET6);
  bool found = false;
  Status status = socket.dump(msg.get(), [&](const nlmsghdr& nlh) {
    auto info = parse_address(nlh);
    if (info && info->index == index && info->cidr == cidr) found = true;
  });
  if (!status.ok()) throw Error::system(status.error, "list addresses", status.detail);
  return found;
}

}  // namespace hookwire::netlink
