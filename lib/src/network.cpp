// Wiring: a container's network as a transaction over two netlink sockets, one in
// the runtime's netns and one inside the container's.
#include <hookwire/network.h>

#include <hookwire/error.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <map>
#include <unistd.h>

#include <linux/if.h>

#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/rtnl_socket.h"
#include "unique_fd.h"

namespace hookwire {

namespace {

using netlink::MsgPtr;
using netlink::Socket;

// One step to undo: a request built before the change it reverts, sent on the
// socket of the netns it concerns.
struct Undo {
  Socket* socket;
  MsgPtr msg;
};

Cidr parse_cidr(const std::string& text, const std::string& what) {
  auto cidr = Cidr::parse(text);
  if (!cidr) throw Error::input(what + ": \"" + text + "\" is not an ADDRESS/PREFIX");
  return *cidr;
}

IpAddress parse_ip(const std::string& text, const std::string& what) {
  auto ip = IpAddress::parse(text);
  if (!ip) throw Error::input(what + ": \"" + text + "\" is not an IP address");
  return *ip;
}

Cidr any_destination(Family family) {
  std::uint8_t zeros[16] = {};
  return {IpAddress::from_bytes(family, zeros), 0};
}

// The socket must be born inside the container's netns: it stays bound to it.
Socket socket_in(int netns_fd) {
  NetnsGuard inside(netns_fd);
  return Socket();
}

// Whether this kernel has IPv6 at all (ipv6.disable=1 removes AF_INET6).
bool kernel_has_ipv6() {
  static const bool has = [] {
    int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno != EAFNOSUPPORT;
    ::close(fd);
    return true;
  }();
  return has;
}

// The link-local address a container end gets in place of the kernel's: the
// interface id of its global IPv6 address under fe80::/64. Added without DAD,
// like the global one, so the readiness gate never waits for it.
Cidr link_local_for(const Cidr& global) {
  std::uint8_t bytes[16] = {0xfe, 0x80};
  std::copy(global.address.data() + 8, global.address.data() + 16, bytes + 8);
  return {IpAddress::from_bytes(Family::v6, bytes), 64};
}

std::string describe(const Route& route) {
  std::string text = "add route " + route.destination;
  if (!route.gateway.empty()) text += " via " + route.gateway;
  if (!route.interface_name.empty()) text += " on " + route.interface_name;
  return text;
}

// Wiring keeps its own reference to the container's netns: the caller's handle
// may close before the Wiring is done.
UniqueFd duplicate(const NsHandle& ns) {
  int fd = fcntl(ns.fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw_errno("duplicate the fd of " + ns.path());
  return UniqueFd(fd);
}

}  // namespace

struct Wiring::Impl {
  Impl(const NsHandle& container, std::string owner)
      : owner_alias(std::move(owner)),
        container_ns(duplicate(container)),
        container_socket(socket_in(container_ns.get())) {}

  void add_loopback();
  VethLink add_veth(const Network& network);
  void add_route(const Route& route);
  void rollback() noexcept;

  std::string owner_alias;  // put on every host end, as proof of ownership at teardown
  UniqueFd container_ns;
  Socket host_socket;
  Socket container_socket;
  std::vector<Undo> undo;
  std::map<std::string, int> container_links;  // peers created here: name -> ifindex
};

void Wiring::Impl::add_loopback() {
  auto lo = netlink::find_link(container_socket, "lo");
  if (!lo) throw Error::system(ENODEV, "look up lo");
  if (lo->flags & IFF_UP) return;  // already up: nothing to do, nothing to undo
  // Bringing lo up makes the kernel add 127.0.0.1/8, and taking it down keeps it:
  // the undo removes it again unless it was there before.
  const Cidr loopback4{*IpAddress::parse("127.0.0.1"), 8};
  MsgPtr forget = netlink::has_address(container_socket, lo->index, loopback4)
                      ? nullptr
                      : netlink::delete_address_request(lo->index, loopback4);
  MsgPtr down = netlink::set_link_up_request(lo->index, false);
  container_socket.request(netlink::set_link_up_request(lo->index, true).get(), "set lo up");
  if (forget) undo.push_back({&container_socket, std::move(forget)});
  undo.push_back({&container_socket, std::move(down)});  // undone first
}

VethLink Wiring::Impl::add_veth(const Network& network) {
  const std::string& host = network.host_interface_name;
  const std::string& peer = network.name;
  if (host.empty() || peer.empty() || network.bridge.empty())
    throw Error::input("veth network: name, bridge and host_interface_name must be set");

  // Parse everything before the first change.
  netlink::VethSpec spec{host, peer, container_ns.get(), 0, network.mtu, network.txqueuelen, {}};
  if (!network.mac_address.empty()) {
    auto mac = MacAddress::parse(network.mac_address);
    if (!mac) throw Error::input("veth " + peer + ": mac_address \"" + network.mac_address + "\" is not a MAC");
    spec.peer_mac = *mac;
  }
  std::optional<Cidr> v4, v6;
  std::optional<IpAddress> gateway4, gateway6;
  if (!network.address.empty()) v4 = parse_cidr(network.address, "veth " + peer + ": address");
  if (!network.ipv6_address.empty()) v6 = parse_cidr(network.ipv6_address, "veth " + peer + ": ipv6_address");
  if (!network.gateway.empty()) gateway4 = parse_ip(network.gateway, "veth " + peer + ": gateway");
  if (!network.ipv6_gateway.empty()) gateway6 = parse_ip(network.ipv6_gateway, "veth " + peer + ": ipv6_gateway");

  auto bridge = netlink::find_link(host_socket, network.bridge);
  if (!bridge) throw Error::system(ENODEV, "look up bridge " + network.bridge);
  netlink::require_bridge(*bridge);
  spec.master = bridge->index;

  // One request: both ends, the peer born in the container netns under its final
  // name, the host end on the bridge and up. The echo names both ifindexes.
  int host_index = 0;
  int peer_index = 0;
  auto echo = [&](const nlmsghdr& nlh) {
    auto info = netlink::parse_link(nlh);
    if (info && info->name == host) host_index = info->index, peer_index = info->link;
  };
  netlink::Status created = host_socket.try_request(netlink::create_veth_request(spec).get(), echo);
  if (!created.ok()) throw Error::system(created.error, "create veth " + host + " (peer " + peer + ")", created.detail);
  if (!host_index) {  // kernels before 6.3 do not echo new links
    auto info = netlink::find_link(host_socket, host);
    if (!info) {
      host_socket.try_request(netlink::delete_link_request(host).get());
      throw Error::system(ENODEV, "look up " + host);
    }
    host_index = info->index;
    peer_index = info->link;
  }
  // Undone by ifindex: deleting one end removes both.
  undo.push_back({&host_socket, netlink::delete_link_request(host_index)});
  // A host end's name is a hash of the container id, and two ids can share it:
  // the alias holds the whole id, and teardown deletes only a link that carries
  // it. (RTM_NEWLINK ignores IFLA_IFALIAS, so this is a request of its own.)
  if (!owner_alias.empty())
    host_socket.request(netlink::set_link_alias_request(host_index, owner_alias).get(),
                        "set the owner alias of " + host);
  if (network.hairpin_mode)
    host_socket.request(netlink::hairpin_request(host_index, true).get(), "set hairpin mode on " + host);
  if (!peer_index) {
    auto info = netlink::find_link(container_socket, peer);
    if (!info) throw Error::system(ENODEV, "look up " + peer + " in the container");
    peer_index = info->index;
  }

  // The rest is one round trip: addresses, link up, default routes, in that order.
  // The kernel's own link-local address would go through DAD when the link comes
  // up, and tell the gate to wait a second or more; hookwire puts its own, without
  // DAD. (Writing accept_dad in /proc/sys instead costs a walk over every netns'
  // sysctl entries: its price grows with the number of containers.)
  std::vector<netlink::Request> batch;
  if (kernel_has_ipv6())
    batch.push_back({netlink::no_link_local_request(peer_index), "turn off link-local generation on " + peer});
  if (v6) {
    Cidr link_local = link_local_for(*v6);
    batch.push_back(
        {netlink::add_address_request(peer_index, link_local), "add address " + link_local.str() + " to " + peer});
  }
  if (v4) batch.push_back({netlink::add_address_request(peer_index, *v4), "add address " + v4->str() + " to " + peer});
  if (v6) batch.push_back({netlink::add_address_request(peer_index, *v6), "add address " + v6->str() + " to " + peer});
  batch.push_back({netlink::set_link_up_request(peer_index, true), "set " + peer + " up"});
  for (const auto& gateway : {gateway4, gateway6}) {
    if (!gateway) continue;
    auto route = netlink::route_requests({any_destination(gateway->family()), gateway, {}, peer_index});
    batch.push_back({std::move(route.add), "add default route via " + gateway->str() + " on " + peer});
  }
  container_socket.request_all(batch);
  container_links[peer] = peer_index;
  return {host, peer, network.bridge};
}

void Wiring::Impl::add_route(const Route& route) {
  const std::string what = describe(route);
  netlink::RouteSpec spec{parse_cidr(route.destination, what + ": destination"), {}, {}, 0};
  if (!route.gateway.empty()) spec.gateway = parse_ip(route.gateway, what + ": gateway");
  if (!route.source.empty()) spec.source = parse_ip(route.source, what + ": source");
  Family family = spec.destination.family();
  if ((spec.gateway && spec.gateway->family() != family) || (spec.source && spec.source->family() != family))
    throw Error::input(what + ": mixes IPv4 and IPv6");
  if (!route.interface_name.empty()) {
    if (auto known = container_links.find(route.interface_name); known != container_links.end()) {
      spec.oif = known->second;
    } else {
      auto info = netlink::find_link(container_socket, route.interface_name);
      if (!info) throw Error::system(ENODEV, what);
      spec.oif = info->index;
    }
  }
  auto requests = netlink::route_requests(spec);
  container_socket.request(requests.add.get(), what);
  undo.push_back({&container_socket, std::move(requests.remove)});
}

void Wiring::Impl::rollback() noexcept {
  while (!undo.empty()) {
    try {
      // Best effort: a step already undone by the kernel (ENODEV, ESRCH) is fine.
      undo.back().socket->try_request(undo.back().msg.get());
    } catch (...) {
    }
    undo.pop_back();
  }
}

Wiring::Wiring(const NsHandle& container, std::string owner_alias) {
  if (container.id() == current_netns_id())
    throw Error::input("refusing to configure the runtime's own network namespace");
  impl_ = std::make_unique<Impl>(container, std::move(owner_alias));
}

Wiring::~Wiring() {
  rollback();
}

void Wiring::add_loopback() {
  impl_->add_loopback();
}
VethLink Wiring::add_veth(const Network& network) {
  return impl_->add_veth(network);
}
void Wiring::add_route(const Route& route) {
  impl_->add_route(route);
}
void Wiring::commit() {
  impl_->undo.clear();
}

void Wiring::rollback() noexcept {
  if (impl_) impl_->rollback();
}

std::string owner_alias(std::string_view id) {
  return "hookwire " + std::string(id);
}

bool remove_host_link(const std::string& name, const std::string& alias) {
  Socket socket;
  // Only ever a veth that carries the owner's alias: a name alone is a hash, and
  // must never take down another container's link or a host's own interface.
  auto link = netlink::find_link(socket, name);
  if (!link || link->kind != "veth" || link->alias != alias) return false;
  // By ifindex: the name could change hands between the look-up and the delete.
  netlink::Status status = socket.try_request(netlink::delete_link_request(link->index).get());
  if (status.ok()) return true;
  if (status.error == ENODEV) return false;  // already gone, e.g. with its netns
  throw Error::system(status.error, "delete link " + name, status.detail);
}

}  // namespace hookwire
