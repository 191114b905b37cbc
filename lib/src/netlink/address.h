// Address requests (RTM_NEWADDR, RTM_DELADDR) built with libnl.
#pragma once

#include <optional>

#include <hookwire/ip.h>

#include "netlink/parse.h"
#include "netlink/ptr.h"
#include "netlink/rtnl_socket.h"

namespace hookwire::netlink {

/// A libnl address holding `ip` with prefix length `prefix` (-1: the full length).
NlAddrPtr to_nl(const IpAddress& ip, int prefix = -1);

/// RTM_NEWADDR (create, exclusive) of `cidr` on link `index`. IPv4 gets its
/// broadcast address; IPv6 gets IFA_F_NODAD, so it is never tentative.
MsgPtr add_address_request(int index, const Cidr& cidr);

/// RTM_DELADDR of `cidr` from link `index`.
MsgPtr delete_address_request(int index, const Cidr& cidr);

/// Whether link `index` holds `cidr`, by a dump of the socket's netns. Throws Error::system.
bool has_address(Socket& socket, int index, const Cidr& cidr);

}  // namespace hookwire::netlink
