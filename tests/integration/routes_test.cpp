// Wiring::add_route: every Route field, and the errors of impossible routes.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/network.h>

#include <cerrno>

#include "wired_lab.h"

using namespace lab;
using hookwire::Error;

TEST_SUITE("routes") {
  TEST_CASE("a route with source sets the preferred source address") {
    WiredLab lab;
    lab.wiring.add_route({"10.9.0.0/16", "10.213.0.7", "10.213.0.254", "eth0"});
    json routes = routes_to(lab.container, "-4", "10.9.0.0/16");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["gateway"] == "10.213.0.254");
    CHECK(routes[0]["prefsrc"] == "10.213.0.7");
    CHECK(routes[0]["dev"] == "eth0");
  }

  TEST_CASE("a route without source has no preferred source") {
    WiredLab lab;
    lab.wiring.add_route({"10.9.0.0/16", "", "10.213.0.254", "eth0"});
    json routes = routes_to(lab.container, "-4", "10.9.0.0/16");
    REQUIRE(routes.size() == 1);
    CHECK_FALSE(routes[0].contains("prefsrc"));
  }

  TEST_CASE("a route without interface_name goes where the kernel picks") {
    WiredLab lab;
    lab.wiring.add_route({"10.10.0.0/16", "", "10.213.0.254", ""});
    json routes = routes_to(lab.container, "-4", "10.10.0.0/16");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["gateway"] == "10.213.0.254");
    CHECK(routes[0]["dev"] == "eth0");
  }

  TEST_CASE("an IPv6 route with source goes via its gateway") {
    WiredLab lab;
    lab.wiring.add_route({"fd00:99::/64", "fd00:213::7", "fd00:213::fe", "eth0"});
    json routes = routes_to(lab.container, "-6", "fd00:99::/64");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["gateway"] == "fd00:213::fe");
    CHECK(routes[0]["prefsrc"] == "fd00:213::7");
    CHECK(routes[0]["dev"] == "eth0");
  }

  TEST_CASE("host bits in the destination are cleared, as the kernel wants") {
    WiredLab lab;
    lab.wiring.add_route({"10.9.1.2/16", "", "10.213.0.254", "eth0"});
    CHECK(routes_to(lab.container, "-4", "10.9.0.0/16").size() == 1);
  }

  TEST_CASE("an unreachable gateway fails naming the route and the kernel's reason") {
    WiredLab lab;
    CHECK_THROWS_WITH_AS(lab.wiring.add_route({"10.9.0.0/16", "", "10.99.0.254", "eth0"}),
                         "add route 10.9.0.0/16 via 10.99.0.254 on eth0: Network is unreachable "
                         "(Nexthop has invalid gateway)",
                         Error);
    try {
      lab.wiring.add_route({"10.9.0.0/16", "", "10.99.0.254", "eth0"});
    } catch (const Error& e) {
      CHECK(e.code().value() == ENETUNREACH);
      CHECK(e.kind() == Error::Kind::system);
    }
    CHECK(routes_to(lab.container, "-4", "10.9.0.0/16").empty());
  }

  TEST_CASE("without interface_name the error says no \"on\"") {
    WiredLab lab;
    CHECK_THROWS_WITH_AS(lab.wiring.add_route({"10.9.0.0/16", "", "10.99.0.254", ""}),
                         doctest::Contains("add route 10.9.0.0/16 via 10.99.0.254: Network is unreachable"), Error);
  }

  TEST_CASE("a route on an interface the container lacks fails with No such device") {
    WiredLab lab;
    CHECK_THROWS_WITH_AS(lab.wiring.add_route({"10.9.0.0/16", "", "10.213.0.254", "eth9"}),
                         "add route 10.9.0.0/16 via 10.213.0.254 on eth9: No such device", Error);
  }

  TEST_CASE("a route mixing IPv4 and IPv6 is an input error") {
    WiredLab lab;
    CHECK_THROWS_WITH_AS(lab.wiring.add_route({"10.9.0.0/16", "", "fd00:213::fe", "eth0"}),
                         "add route 10.9.0.0/16 via fd00:213::fe on eth0: mixes IPv4 and IPv6", Error);
  }

  TEST_CASE("a route on an interface the Wiring did not create is found by name") {
    WiredLab lab;
    run_in(lab.container, "ip link add if0 type ifb");
    run_in(lab.container, "ip link set if0 up");
    run_in(lab.container, "ip addr add 10.50.0.1/24 dev if0");
    lab.wiring.add_route({"10.60.0.0/16", "", "10.50.0.254", "if0"});
    json routes = routes_to(lab.container, "-4", "10.60.0.0/16");
    REQUIRE(routes.size() == 1);
    CHECK(routes[0]["dev"] == "if0");
  }
}
