// Link requests (RTM_*LINK) built with libnl, and look-ups by name.
#pragma once

#include <optional>
#include <string>

#include <hookwire/ip.h>

#include "netlink/parse.h"
#include "netlink/ptr.h"
#include "netlink/rtnl_socket.h"

namespace hookwire::netlink {

/// RTM_GETLINK for the link called `name`.
MsgPtr get_link_request(const std::string& name);
/// Sets IFF_UP on (or clears it from) the link `index`, touching no other flag.
MsgPtr set_link_up_request(int index, bool up);
/// Tells the kernel to generate no IPv6 link-local address for link `index`
/// (IFLA_INET6_ADDR_GEN_MODE none), so none appears tentative when it comes up.
MsgPtr no_link_local_request(int index);
/// Sets the link's alias (IFLA_IFALIAS), the owner tag hookwire puts on its host ends.
MsgPtr set_link_alias_request(int index, const std::string& alias);
/// RTM_DELLINK by name.
MsgPtr delete_link_request(const std::string& name);
/// RTM_DELLINK by ifindex: what a check-then-delete uses, since a name can change
/// hands between the look-up and the delete and an ifindex is not reused soon.
MsgPtr delete_link_request(int index);

/// A veth pair to create in one request: `host` here, `peer` inside `peer_netns_fd`.
struct VethSpec {
  std::string host;
  std::string peer;
  int peer_netns_fd = -1;
  int master = 0;  // ifindex of the host end's bridge; 0 for none
  int mtu = 0;     // 0: kernel default
  int txqlen = 0;  // 0: kernel default
  std::optional<MacAddress> peer_mac;
};
/// RTM_NEWLINK (create, exclusive, echo) for the pair; the host end starts up.
MsgPtr create_veth_request(const VethSpec& spec);
/// RTM_NEWLINK (create, exclusive, echo) for a bridge with address `mac` that starts up.
MsgPtr create_bridge_request(const std::string& name, const MacAddress& mac);
/// AF_BRIDGE RTM_SETLINK setting the hairpin flag (IFLA_BRPORT_MODE) of bridge port `index`.
MsgPtr hairpin_request(int index, bool on);

/// The link called `name` in the socket's netns, or nullopt when there is none.
/// Throws Error::system for any other failure.
std::optional<LinkInfo> find_link(Socket& socket, const std::string& name);

/// Throws Error::input unless `link` is a bridge:
/// "bridge hookwire0: exists and is a dummy, not a bridge".
void require_bridge(const LinkInfo& link);

/// Throws a libnl build failure as Error::system.
void check_built(int nl_error, const char* what);

}  // namespace hookwire::netlink
