// ensure_bridge: idempotent and race-safe creation of the shared bridge.
#include <hookwire/bridge.h>

#include <hookwire/error.h>

#include <cerrno>
#include <sys/random.h>

#include <linux/if.h>

#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/rtnl_socket.h"

namespace hookwire {

namespace {

// A random locally administered unicast MAC. A bridge whose MAC was never set
// takes the lowest MAC of its ports (zero when it has none), so the gateway's MAC,
// cached by every container, would change whenever a container comes or goes.
MacAddress random_bridge_mac() {
  MacAddress mac;
  if (getrandom(mac.bytes.data(), mac.bytes.size(), 0) != static_cast<ssize_t>(mac.bytes.size()))
    throw_errno("getrandom");
  mac.bytes[0] = static_cast<std::uint8_t>((mac.bytes[0] & 0xfe) | 0x02);
  return mac;
}

}  // namespace

bool ensure_bridge(const BridgeSpec& spec) {
  if (spec.name.empty()) throw Error::input("bridge: the name is empty");
  netlink::Socket socket;
  bool created = false;
  auto link = netlink::find_link(socket, spec.name);
  if (!link) {
    auto echo = [&](const nlmsghdr& nlh) {
      auto info = netlink::parse_link(nlh);
      if (info && info->name == spec.name) link = std::move(info);
    };
    netlink::Status status =
        socket.try_request(netlink::create_bridge_request(spec.name, random_bridge_mac()).get(), echo);
    if (status.ok())
      created = true;
    else if (status.error != EEXIST)  // EEXIST: another hook made it since our look-up
      throw Error::system(status.error, "create bridge " + spec.name, status.detail);
    if (!link) link = netlink::find_link(socket, spec.name);
    if (!link) throw Error::system(ENODEV, "look up bridge " + spec.name);
  }
  netlink::require_bridge(*link);

  // One round trip for whatever may be missing. An address that is already there
  // (EEXIST) is what we want, whoever put it there.
  std::vector<netlink::Request> batch;
  if (!(link->flags & IFF_UP))
    batch.push_back({netlink::set_link_up_request(link->index, true), "set bridge " + spec.name + " up"});
  for (const auto& address : spec.addresses)
    batch.push_back(
        {netlink::add_address_request(link->index, address), "add address " + address.str() + " to " + spec.name});
  if (batch.empty()) return created;
  auto statuses = socket.try_request_all(batch);
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    const auto& status = statuses[i];
    if (!status.ok() && status.error != EEXIST) throw Error::system(status.error, batch[i].what, status.detail);
  }
  return created;
}

void check_bridge_name(const std::string& name) {
  netlink::Socket socket;
  if (auto link = netlink::find_link(socket, name)) netlink::require_bridge(*link);
}

}  // namespace hookwire
