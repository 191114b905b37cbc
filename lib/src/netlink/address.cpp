#include "netlink/address.h"

#include <hookwire/error.h>

#include <algorithm>
#include <cerrno>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "netlink/link.h"

namespace hookwire::netlink {

namespace {

int af_of(Family family) {
  return family == Family::v4 ? AF_INET : AF_INET6;
}

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

namespace {

// The address object both requests start from: link, local address, prefix.
AddrPtr address_object(int index, const Cidr& cidr) {
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw Error::system(ENOMEM, "allocate address object");
  rtnl_addr_set_ifindex(addr.get(), index);
  NlAddrPtr local = to_nl(cidr.address, cidr.prefix);
  check_built(rtnl_addr_set_local(addr.get(), local.get()), "set local address");
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  return addr;
}

}  // namespace

MsgPtr add_address_request(int index, const Cidr& cidr) {
  AddrPtr addr = address_object(index, cidr);
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
  AddrPtr addr = address_object(index, cidr);
  nl_msg* msg = nullptr;
  check_built(rtnl_addr_build_delete_request(addr.get(), 0, &msg), "build address delete request");
  return MsgPtr(msg);
}

bool has_address(Socket& socket, int index, const Cidr& cidr) {
  DumpRequest request = dump_request(RTM_GETADDR, cidr.family() == Family::v4 ? AF_INET : AF_INET6);
  bool found = false;
  Status status = socket.dump(&request.header, [&](const nlmsghdr& nlh) {
    auto info = parse_address(nlh);
    if (info && info->index == index && info->cidr == cidr) found = true;
  });
  if (!status.ok()) throw Error::system(status.error, "list addresses", status.detail);
  return found;
}

}  // namespace hookwire::netlink
