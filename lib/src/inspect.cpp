// Read-only dumps of the calling thread's netns. No privilege needed, and nothing
// that pulls in NSS, so that a statically linked readiness gate can use it.
#include <hookwire/inspect.h>

#include <hookwire/error.h>

#include <map>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "netlink/parse.h"
#include "netlink/rtnl_socket.h"

namespace hookwire {

namespace {

// A dump can be interrupted when the tables change under it; then it is retried.
constexpr int kDumpAttempts = 5;

// Runs one dump, retrying while it is interrupted; throws when the kernel refuses.
void run_dump(netlink::Socket& socket, int type, const std::function<void()>& reset, const netlink::Handler& on_part,
              const char* what) {
  for (int attempt = 1;; ++attempt) {
    reset();
    netlink::DumpRequest request = netlink::dump_request(type, AF_UNSPEC);
    netlink::Status status = socket.dump(&request.header, on_part);
    if (!status.ok()) throw Error::system(status.error, what, status.detail);
    if (!status.interrupted || attempt == kDumpAttempts) return;
  }
}

std::string destination_text(const Cidr& destination) {
  return destination.prefix == 0 ? "default" : destination.str();
}

}  // namespace

std::vector<InterfaceState> list_interfaces() {
  netlink::Socket socket;
  std::vector<InterfaceState> links;
  run_dump(
      socket, RTM_GETLINK, [&] { links.clear(); },
      [&](const nlmsghdr& nlh) {
        auto info = netlink::parse_link(nlh);
        if (!info) return;
        InterfaceState state;
        state.name = info->name;
        state.index = info->index;
        state.kind = info->kind;
        state.up = info->flags & IFF_UP;
        state.running = info->flags & IFF_RUNNING;
        state.mtu = info->mtu;
        state.txqueuelen = info->txqlen;
        state.master = info->master;
        // lo's all-zero address is no MAC worth reporting.
        if (info->mac != "00:00:00:00:00:00") state.mac = info->mac;
        links.push_back(std::move(state));
      },
      "list links");

  std::map<int, std::vector<InterfaceAddress>> addresses;
  run_dump(
      socket, RTM_GETADDR, [&] { addresses.clear(); },
      [&](const nlmsghdr& nlh) {
        if (auto info = netlink::parse_address(nlh))
          addresses[info->index].push_back({info->cidr, (info->flags & IFA_F_TENTATIVE) != 0});
      },
      "list addresses");
  for (auto& link : links)
    if (auto found = addresses.find(link.index); found != addresses.end()) link.addresses = found->second;
  return links;
}

std::vector<RouteState> list_routes() {
  netlink::Socket socket;
  std::vector<RouteState> routes;
  run_dump(
      socket, RTM_GETROUTE, [&] { routes.clear(); },
      [&](const nlmsghdr& nlh) {
        auto info = netlink::parse_route(nlh);
        if (!info || info->table != RT_TABLE_MAIN || info->type != RTN_UNICAST) return;
        RouteState state;
        state.family = info->family;
        state.destination = destination_text(info->destination);
        if (info->gateway) state.gateway = info->gateway->str();
        if (info->source) state.source = info->source->str();
        state.oif = info->oif;
        routes.push_back(std::move(state));
      },
      "list routes");
  return routes;
}

}  // namespace hookwire
