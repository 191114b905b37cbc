#include "netlink/link.h"

#include <hookwire/error.h>

#include <cerrno>
#include <string_view>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>

namespace hookwire::netlink {

namespace {

LinkPtr alloc_link() {
  LinkPtr link(rtnl_link_alloc());
  if (!link) throw Error::system(ENOMEM, "allocate link object");
  return link;
}

MsgPtr change_request(rtnl_link* link) {
  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_change_request(link, link, 0, &msg), "build link change request");
  return MsgPtr(msg);
}

void set_single_queue(rtnl_link* link) {
  rtnl_link_set_num_tx_queues(link, 1);
  rtnl_link_set_num_rx_queues(link, 1);
}

}  // namespace

void check_built(int nl_error, const char* what) {
  if (nl_error >= 0) return;
  throw Error::system(nl_error == -NLE_NOMEM ? ENOMEM : EINVAL, what, nl_geterror(nl_error));
}

MsgPtr get_link_request(const std::string& name) {
  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_get_request(0, name.c_str(), &msg), "build link query");
  return MsgPtr(msg);
}

MsgPtr set_link_up_request(int index, bool up) {
  LinkPtr link = alloc_link();
  rtnl_link_set_ifindex(link.get(), index);
  if (up)
    rtnl_link_set_flags(link.get(), IFF_UP);
  else
    rtnl_link_unset_flags(link.get(), IFF_UP);
  return change_request(link.get());
}

MsgPtr no_link_local_request(int index) {
  LinkPtr link = alloc_link();
  rtnl_link_set_ifindex(link.get(), index);
  check_built(rtnl_link_inet6_set_addr_gen_mode(link.get(), IN6_ADDR_GEN_MODE_NONE), "set addr_gen_mode");
  return change_request(link.get());
}

MsgPtr set_link_alias_request(int index, const std::string& alias) {
  LinkPtr link = alloc_link();
  rtnl_link_set_ifindex(link.get(), index);
  rtnl_link_set_ifalias(link.get(), alias.c_str());
  return change_request(link.get());
}

MsgPtr delete_link_request(int index) {
  LinkPtr link = alloc_link();
  rtnl_link_set_ifindex(link.get(), index);
  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_delete_request(link.get(), &msg), "build link delete request");
  return MsgPtr(msg);
}

MsgPtr delete_link_request(const std::string& name) {
  LinkPtr link = alloc_link();
  rtnl_link_set_name(link.get(), name.c_str());
  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_delete_request(link.get(), &msg), "build link delete request");
  return MsgPtr(msg);
}

MsgPtr create_veth_request(const VethSpec& spec) {
  LinkPtr host(rtnl_link_veth_alloc());
  if (!host) throw Error::system(ENOMEM, "allocate veth object");
  rtnl_link_set_name(host.get(), spec.host.c_str());
  if (spec.master) rtnl_link_set_master(host.get(), spec.master);
  if (spec.mtu) rtnl_link_set_mtu(host.get(), static_cast<unsigned>(spec.mtu));
  if (spec.txqlen) rtnl_link_set_txqlen(host.get(), static_cast<unsigned>(spec.txqlen));
  rtnl_link_set_flags(host.get(), IFF_UP);
  // One queue each way, said outright: left unsaid, the kernel sizes a veth for every
  // possible CPU and then cuts it back to one, and the cut waits for an expedited RCU
  // grace period (synchronize_net) with the RTNL held, twice per pair. That wait grows
  // with the load of the machine and stalls every other netlink user meanwhile.
  set_single_queue(host.get());

  // The peer stays down: the container side disables DAD on it before it comes up.
  LinkPtr peer(rtnl_link_veth_get_peer(host.get()));  // a new reference
  rtnl_link_set_name(peer.get(), spec.peer.c_str());
  rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  if (spec.mtu) rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(spec.mtu));
  if (spec.txqlen) rtnl_link_set_txqlen(peer.get(), static_cast<unsigned>(spec.txqlen));
  set_single_queue(peer.get());
  if (spec.peer_mac) {
    NlAddrPtr mac(nl_addr_build(AF_LLC, spec.peer_mac->bytes.data(), spec.peer_mac->bytes.size()));
    if (!mac) throw Error::system(ENOMEM, "allocate MAC address");
    rtnl_link_set_addr(peer.get(), mac.get());  // takes its own reference
  }

  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_add_request(host.get(), NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &msg),
              "build veth create request");
  return MsgPtr(msg);
}

MsgPtr create_bridge_request(const std::string& name, const MacAddress& mac) {
  LinkPtr link = alloc_link();
  check_built(rtnl_link_set_type(link.get(), "bridge"), "set link type bridge");
  rtnl_link_set_name(link.get(), name.c_str());
  NlAddrPtr address(nl_addr_build(AF_LLC, mac.bytes.data(), mac.bytes.size()));
  if (!address) throw Error::system(ENOMEM, "allocate MAC address");
  rtnl_link_set_addr(link.get(), address.get());
  rtnl_link_set_flags(link.get(), IFF_UP);
  nl_msg* msg = nullptr;
  check_built(rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &msg),
              "build bridge create request");
  return MsgPtr(msg);
}

MsgPtr hairpin_request(int index, bool on) {
  // An AF_BRIDGE link object makes libnl emit IFLA_PROTINFO and pick RTM_SETLINK.
  // (rtnl_link_bridge_alloc() would be a link of kind bridge: the wrong thing here.)
  LinkPtr port = alloc_link();
  rtnl_link_set_family(port.get(), AF_BRIDGE);
  rtnl_link_set_ifindex(port.get(), index);
  if (on)
    check_built(rtnl_link_bridge_set_flags(port.get(), RTNL_BRIDGE_HAIRPIN_MODE), "set hairpin flag");
  else
    check_built(rtnl_link_bridge_unset_flags(port.get(), RTNL_BRIDGE_HAIRPIN_MODE), "clear hairpin flag");
  return change_request(port.get());
}

std::optional<LinkInfo> find_link(Socket& socket, const std::string& name) {
  std::optional<LinkInfo> found;
  MsgPtr msg = get_link_request(name);
  Status status = socket.try_request(msg.get(), [&](const nlmsghdr& nlh) {
    if (auto info = parse_link(nlh)) found = std::move(info);
  });
  if (status.error == ENODEV) return std::nullopt;
  if (!status.ok()) throw Error::system(status.error, "look up link " + name, status.detail);
  return found;
}

void require_bridge(const LinkInfo& link) {
  if (link.kind == "bridge") return;
  if (link.kind.empty()) throw Error::input("bridge " + link.name + ": exists and is not a bridge");
  const char* article = std::string_view("aeiou").find(link.kind[0]) == std::string_view::npos ? "a" : "an";
  throw Error::input("bridge " + link.name + ": exists and is " + article + " " + link.kind + ", not a bridge");
}

}  // namespace hookwire::netlink
