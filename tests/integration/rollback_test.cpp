// Wiring as a transaction: failures and rollback leave the kernel as it was found.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/network.h>

#include "lab.h"

using namespace lab;
using hookwire::Error;

TEST_SUITE("rollback") {
  TEST_CASE("an impossible route rolls back: no link on either side, lo down again") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    auto host_before = snapshot(lab.host, {"hookwire0"});
    auto container_before = snapshot(lab.container);
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_loopback();
      wiring.add_veth(veth_network());
      REQUIRE(link(lab.host, "hw1234").is_object());
      CHECK_THROWS_AS(wiring.add_route({"10.9.0.0/16", "", "10.99.0.254", "eth0"}), Error);
    }  // not committed: the destructor undoes everything
    CHECK(snapshot(lab.host, {"hookwire0"}) == host_before);
    CHECK(snapshot(lab.container) == container_before);
    CHECK(link_names(lab.container) == std::vector<std::string>{"lo"});
    CHECK_FALSE(has(link(lab.container, "lo")["flags"], "UP"));
    CHECK(link(lab.host, "hookwire0").is_object());  // bridges are shared: never deleted
  }

  TEST_CASE("rollback() undoes at once, and a later destructor has nothing left to do") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    hookwire::Wiring wiring(lab.container.handle());
    wiring.add_veth(veth_network());
    wiring.rollback();
    CHECK(link(lab.host, "hw1234").is_null());
    CHECK(link(lab.container, "eth0").is_null());
  }

  TEST_CASE("rollback leaves lo up when it was already up") {
    Lab lab;
    run_in(lab.container, "ip link set lo up");
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_loopback();
    }
    CHECK(has(link(lab.container, "lo")["flags"], "UP"));
  }

  TEST_CASE("routes added on links the Wiring did not create are removed on rollback") {
    Lab lab;
    run_in(lab.container, "ip link add if0 type ifb");
    run_in(lab.container, "ip link set if0 up");
    run_in(lab.container, "ip addr add 10.50.0.1/24 dev if0");
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_route({"10.60.0.0/16", "", "10.50.0.254", "if0"});
      REQUIRE(routes_to(lab.container, "-4", "10.60.0.0/16").size() == 1);
    }
    CHECK(routes_to(lab.container, "-4", "10.60.0.0/16").empty());
    CHECK(link(lab.container, "if0").is_object());
  }

  TEST_CASE("a host interface name that already exists fails clearly and changes nothing") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    run_in(lab.host, "ip link add hw1234 type ifb");
    auto host_before = snapshot(lab.host, {"hookwire0"});
    auto container_before = snapshot(lab.container);
    {
      hookwire::Wiring wiring(lab.container.handle());
      CHECK_THROWS_WITH_AS(wiring.add_veth(veth_network()), "create veth hw1234 (peer eth0): File exists", Error);
    }
    CHECK(snapshot(lab.host, {"hookwire0"}) == host_before);
    CHECK(snapshot(lab.container) == container_before);
    CHECK(link(lab.host, "hw1234")["linkinfo"]["info_kind"] == "ifb");
    CHECK(link_names(lab.container) == std::vector<std::string>{"lo"});
  }

  TEST_CASE("a second default route fails naming it, and both veths are rolled back") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_veth(veth_network());
      auto second = veth_network("hw5678");
      second.name = "eth1";
      second.address = "10.213.0.8/16";
      second.ipv6_address = second.ipv6_gateway = "";
      CHECK_THROWS_WITH_AS(wiring.add_veth(second), "add default route via 10.213.0.1 on eth1: File exists", Error);
    }
    CHECK(link(lab.host, "hw1234").is_null());
    CHECK(link(lab.host, "hw5678").is_null());
    CHECK(link_names(lab.container) == std::vector<std::string>{"lo"});
  }

  TEST_CASE("a committed wiring outlives its Wiring") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_loopback();
      wiring.add_veth(veth_network());
      wiring.commit();
    }
    CHECK(link(lab.host, "hw1234").is_object());
    CHECK(link(lab.container, "eth0").is_object());
    CHECK(has(link(lab.container, "lo")["flags"], "UP"));
  }

  TEST_CASE("Wiring refuses the runtime's own network namespace") {
    Lab lab;
    auto before = snapshot(lab.host, {"hookwire0"});
    CHECK_THROWS_WITH_AS(hookwire::Wiring{hookwire::NsHandle::current_net()},
                         "refusing to configure the runtime's own network namespace", Error);
    try {
      hookwire::Wiring wiring{hookwire::NsHandle::current_net()};
    } catch (const Error& e) {
      CHECK(e.kind() == Error::Kind::input);
    }
    CHECK(snapshot(lab.host, {"hookwire0"}) == before);
  }
}
