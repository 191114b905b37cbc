// list_interfaces and list_routes, compared with what `ip -j` sees.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/inspect.h>
#include <hookwire/network.h>

#include <algorithm>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

using namespace lab;
using hookwire::InterfaceState;
using hookwire::RouteState;

namespace {

const InterfaceState* find(const std::vector<InterfaceState>& links, const std::string& name) {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

// A lab with a fully wired eth0: MAC, MTU 1400, txqueuelen 2000, both families, a prefsrc route.
struct InspectLab : Lab {
  InspectLab() {
    hookwire::ensure_bridge(default_bridge());
    hookwire::Wiring wiring(container.handle());
    wiring.add_loopback();
    auto network = veth_network();
    network.mac_address = "02:42:0a:d5:00:07";
    network.mtu = 1400;
    network.txqueuelen = 2000;
    wiring.add_veth(network);
    wiring.add_route({"10.9.0.0/16", "10.213.0.7", "10.213.0.254", "eth0"});
    wiring.commit();
  }
};

}  // namespace

TEST_SUITE("inspect") {
  TEST_CASE("list_interfaces reports every field of the wired container end") {
    InspectLab lab;
    int ip_index = link(lab.container, "eth0")["ifindex"];
    hookwire::NetnsGuard in_container(lab.container.fd());
    auto links = hookwire::list_interfaces();

    const InterfaceState* eth0 = find(links, "eth0");
    REQUIRE(eth0);
    CHECK(eth0->index == ip_index);
    CHECK(eth0->kind == "veth");
    CHECK(eth0->up);
    CHECK(eth0->running);
    CHECK(eth0->mtu == 1400);
    CHECK(eth0->txqueuelen == 2000);
    CHECK(eth0->master == 0);
    CHECK(eth0->mac == "02:42:0a:d5:00:07");
    std::vector<std::string> cidrs;
    for (const auto& a : eth0->addresses) {
      cidrs.push_back(a.cidr.str());
      CHECK_FALSE(a.tentative);
    }
    CHECK(std::count(cidrs.begin(), cidrs.end(), "10.213.0.7/16") == 1);
    CHECK(std::count(cidrs.begin(), cidrs.end(), "fd00:213::7/64") == 1);
    CHECK(cidrs.size() == 3);  // and the link-local address

    const InterfaceState* lo = find(links, "lo");
    REQUIRE(lo);
    CHECK(lo->kind == "");
    CHECK(lo->up);
    CHECK(lo->mac == "");
    CHECK(links.size() == 2);
  }

  TEST_CASE("list_interfaces on the host shows the bridge's kind and the port's master") {
    InspectLab lab;
    auto links = hookwire::list_interfaces();
    const InterfaceState* bridge = find(links, "hookwire0");
    const InterfaceState* port = find(links, "hw1234");
    REQUIRE(bridge);
    REQUIRE(port);
    CHECK(bridge->kind == "bridge");
    CHECK(port->master == bridge->index);
    CHECK(port->kind == "veth");
  }

  TEST_CASE("list_interfaces marks an address still under DAD as tentative") {
    Lab lab;
    run_in(lab.container, "ip link add va type veth peer name vb");
    run_in(lab.container, "ip link set va up");
    run_in(lab.container, "ip link set vb up");
    run_in(lab.container, "ip addr add fd00:5::5/64 dev va");
    hookwire::NetnsGuard in_container(lab.container.fd());
    auto links = hookwire::list_interfaces();
    const InterfaceState* va = find(links, "va");
    REQUIRE(va);
    auto address = std::find_if(va->addresses.begin(), va->addresses.end(),
                                [](const auto& a) { return a.cidr.str() == "fd00:5::5/64"; });
    REQUIRE(address != va->addresses.end());
    CHECK(address->tentative);  // DAD takes a second; we looked at once
  }

  TEST_CASE("list_routes reports both default routes and a prefsrc route with their interface") {
    InspectLab lab;
    int eth0 = link(lab.container, "eth0")["ifindex"];
    hookwire::NetnsGuard in_container(lab.container.fd());
    auto routes = hookwire::list_routes();
    auto find_route = [&](hookwire::Family family, const std::string& dst) -> const RouteState* {
      for (const auto& r : routes)
        if (r.family == family && r.destination == dst) return &r;
      return nullptr;
    };
    const RouteState* v4 = find_route(hookwire::Family::v4, "default");
    REQUIRE(v4);
    CHECK(v4->gateway == "10.213.0.1");
    CHECK(v4->oif == eth0);
    CHECK(v4->source == "");
    const RouteState* v6 = find_route(hookwire::Family::v6, "default");
    REQUIRE(v6);
    CHECK(v6->gateway == "fd00:213::1");
    CHECK(v6->oif == eth0);
    const RouteState* via = find_route(hookwire::Family::v4, "10.9.0.0/16");
    REQUIRE(via);
    CHECK(via->gateway == "10.213.0.254");
    CHECK(via->source == "10.213.0.7");
    const RouteState* connected = find_route(hookwire::Family::v4, "10.213.0.0/16");
    REQUIRE(connected);
    CHECK(connected->gateway == "");
    CHECK(connected->source == "10.213.0.7");
    CHECK(connected->oif == eth0);
  }

  TEST_CASE("list_interfaces and list_routes need no privilege") {
    InspectLab lab;
    hookwire::NetnsGuard in_container(lab.container.fd());
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // nobody, with no capabilities left, inside the container netns.
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
      try {
        bool ok = find(hookwire::list_interfaces(), "eth0") != nullptr && !hookwire::list_routes().empty();
        _exit(ok ? 0 : 1);
      } catch (...) {
        _exit(2);
      }
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}
