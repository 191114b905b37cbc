// What the engine sends and relies on, checked at the message level: the veth pair is
// one RTM_NEWLINK with everything in it, including the peer's IFLA_NET_NS_FD, which
// libnl 3.7's veth put_attrs emits (through rtnl_link_fill_info on the peer).
#include <doctest/doctest.h>

#include <hookwire/network.h>

#include <array>
#include <cstring>
#include <string>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "lab.h"
#include "netlink/link.h"
#include "netlink/rtnl_socket.h"

using namespace lab;
namespace nl = hookwire::netlink;

namespace {

using Table = std::array<const rtattr*, IFLA_MAX + 1>;

Table attributes(const void* data, std::size_t len) {
  Table table{};
  auto* rta = static_cast<rtattr*>(const_cast<void*>(data));
  auto left = static_cast<unsigned>(len);
  for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
    if ((rta->rta_type & NLA_TYPE_MASK) <= IFLA_MAX) table[rta->rta_type & NLA_TYPE_MASK] = rta;
  return table;
}

std::uint32_t u32(const rtattr* rta) {
  REQUIRE(rta);
  std::uint32_t value;
  std::memcpy(&value, RTA_DATA(rta), sizeof value);
  return value;
}

std::string text(const rtattr* rta) {
  REQUIRE(rta);
  return static_cast<const char*>(RTA_DATA(rta));
}

}  // namespace

TEST_SUITE("veth") {
  TEST_CASE("the veth pair is one RTM_NEWLINK carrying master, up, and the peer's netns fd, name and MAC") {
    nl::VethSpec spec{"hw1234", "eth0", 42, 7, 1400, 2000, hookwire::MacAddress::parse("02:42:0a:d5:00:07")};
    nl::MsgPtr msg = nl::create_veth_request(spec);
    const nlmsghdr* nlh = nlmsg_hdr(msg.get());
    CHECK(nlh->nlmsg_type == RTM_NEWLINK);
    CHECK((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)) == (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO));
    const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(nlh));
    CHECK((ifi->ifi_flags & IFF_UP) != 0);
    CHECK((ifi->ifi_change & IFF_UP) != 0);

    Table host = attributes(IFLA_RTA(ifi), IFLA_PAYLOAD(nlh));
    CHECK(text(host[IFLA_IFNAME]) == "hw1234");
    CHECK(u32(host[IFLA_MASTER]) == 7);
    CHECK(u32(host[IFLA_MTU]) == 1400);
    CHECK(u32(host[IFLA_TXQLEN]) == 2000);
    CHECK_FALSE(host[IFLA_NET_NS_FD]);  // the host end stays where it is

    REQUIRE(host[IFLA_LINKINFO]);
    Table info = attributes(RTA_DATA(host[IFLA_LINKINFO]), RTA_PAYLOAD(host[IFLA_LINKINFO]));
    CHECK(text(info[IFLA_INFO_KIND]) == "veth");
    REQUIRE(info[IFLA_INFO_DATA]);
    Table data = attributes(RTA_DATA(info[IFLA_INFO_DATA]), RTA_PAYLOAD(info[IFLA_INFO_DATA]));
    const rtattr* peer_attr = data[VETH_INFO_PEER];
    REQUIRE(peer_attr);
    const auto* peer_ifi = static_cast<const ifinfomsg*>(RTA_DATA(peer_attr));
    CHECK((peer_ifi->ifi_flags & IFF_UP) == 0);  // the peer comes up after DAD is off
    Table peer = attributes(reinterpret_cast<const char*>(peer_ifi) + NLMSG_ALIGN(sizeof(ifinfomsg)),
                            RTA_PAYLOAD(peer_attr) - NLMSG_ALIGN(sizeof(ifinfomsg)));
    CHECK(text(peer[IFLA_IFNAME]) == "eth0");
    CHECK(u32(peer[IFLA_NET_NS_FD]) == 42);
    CHECK(u32(peer[IFLA_MTU]) == 1400);
    CHECK(u32(peer[IFLA_TXQLEN]) == 2000);
    REQUIRE(peer[IFLA_ADDRESS]);
    REQUIRE(RTA_PAYLOAD(peer[IFLA_ADDRESS]) == 6);
    const auto* mac = static_cast<const unsigned char*>(RTA_DATA(peer[IFLA_ADDRESS]));
    CHECK(mac[0] == 0x02);
    CHECK(mac[5] == 0x07);
  }

  TEST_CASE("the host end's RTM_GETLINK names the peer's ifindex (the fallback when a kernel does not echo)") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_veth(veth_network());
      wiring.commit();
    }
    nl::Socket socket;
    auto host = nl::find_link(socket, "hw1234");
    REQUIRE(host);
    CHECK(host->link == link(lab.container, "eth0")["ifindex"]);
    CHECK(host->master == link(lab.host, "hookwire0")["ifindex"]);
    CHECK(host->kind == "veth");
  }
}
