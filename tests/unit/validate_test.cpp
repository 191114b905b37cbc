#include <doctest/doctest.h>

#include <hookwire/config.h>
#include <hookwire/error.h>
#include <hookwire/validate.h>

#include <string>
#include <vector>

using hookwire::Command;
using hookwire::CommandHook;
using hookwire::Config;
using hookwire::Error;
using hookwire::HookName;
using hookwire::is_valid_ifname;
using hookwire::NamespaceType;
using hookwire::Network;
using hookwire::Route;
using hookwire::validate;
using Problems = std::vector<std::string>;
using namespace std::chrono_literals;

// The cases name only the fields they are about (Network{.type = "veth", ...});
// GCC 12 still warns about the fields left to their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

Network veth() {
  return Network{.type = "veth",
                 .name = "eth0",
                 .bridge = "hookwire0",
                 .address = "10.213.0.7/16",
                 .gateway = "10.213.0.1",
                 .ipv6_address = "fd00:213::7/64",
                 .ipv6_gateway = "fd00:213::1"};
}

Problems check(const Network& n) {
  return validate(n, "networks[0]");
}
Problems check(const Route& r) {
  return validate(r, "routes[0]");
}

}  // namespace

TEST_SUITE("validate") {
  TEST_CASE("a loopback and a fully specified veth are valid") {
    CHECK(check(Network{.type = "loopback"}).empty());
    CHECK(check(veth()).empty());
    auto full = veth();
    full.mac_address = "02:42:ac:11:00:02";
    full.host_interface_name = "hw0123456789abc";
    full.mtu = 9000;
    full.txqueuelen = 1000;
    full.hairpin_mode = true;
    CHECK(check(full).empty());
    SUBCASE("addresses may be left for the pool to fill") {
      CHECK(check(Network{.type = "veth", .name = "eth0", .bridge = "hookwire0"}).empty());
    }
  }

  TEST_CASE("a network's type must be loopback or veth") {
    CHECK(check(Network{.type = "bridge"}) ==
          Problems{R"(networks[0].type: unknown type "bridge" (expected "loopback" or "veth"))"});
    CHECK(check(Network{.type = "Veth", .name = "eth0"}) ==
          Problems{R"(networks[0].type: unknown type "Veth" (expected "loopback" or "veth"))"});
    CHECK(check(Network{}) == Problems{R"(networks[0].type: missing (expected "loopback" or "veth"))"});
  }

  TEST_CASE("a veth needs a name, a loopback does not") {
    auto n = veth();
    n.name.clear();
    CHECK(check(n) == Problems{"networks[0].name: a veth needs a name"});
    CHECK(check(Network{.type = "loopback", .name = ""}).empty());
  }

  TEST_CASE("interface names follow the kernel's dev_valid_name") {
    SUBCASE("accepted") {
      for (std::string name : {"eth0", "a", "hookwire0", "e-th_0.1", "123456789012345", "caf\xc3\xa9", "@x"}) {
        CAPTURE(name);
        CHECK(is_valid_ifname(name));
      }
    }
    SUBCASE("refused") {
      const std::string refused[] = {"",
                                     "1234567890123456",
                                     "a/b",
                                     "a:b",
                                     "a b",
                                     "a\tb",
                                     "a\nb",
                                     "\vx",
                                     ".",
                                     "..",
                                     "a\xa0"
                                     "b",
                                     std::string("a\0b", 3)};
      for (const auto& name : refused) {
        CAPTURE(name);
        CHECK_FALSE(is_valid_ifname(name));
      }
      CHECK(is_valid_ifname("..."));
    }
    SUBCASE("each interface-name field is checked and named") {
      const char* hint = " (1-15 bytes, no '/', ':' or whitespace, not \".\" or \"..\")";
      auto n = veth();
      SUBCASE("name") {
        n.name = "eth0:1";
        CHECK(check(n) == Problems{std::string(R"(networks[0].name: invalid interface name "eth0:1")") + hint});
      }
      SUBCASE("bridge") {
        n.bridge = "a-very-long-bridge";
        CHECK(check(n) ==
              Problems{std::string(R"(networks[0].bridge: invalid interface name "a-very-long-bridge")") + hint});
      }
      SUBCASE("host_interface_name") {
        n.host_interface_name = "..";
        CHECK(check(n) ==
              Problems{std::string(R"(networks[0].host_interface_name: invalid interface name "..")") + hint});
      }
      SUBCASE("a route's interface_name") {
        CHECK(check(Route{.destination = "10.1.0.0/16", .interface_name = "e/0"}) ==
              Problems{std::string(R"(routes[0].interface_name: invalid interface name "e/0")") + hint});
      }
    }
    SUBCASE("a '%' template is refused: the kernel would choose the real name") {
      auto n = veth();
      n.host_interface_name = "hw%d";
      CHECK(
          check(n) ==
          Problems{R"(networks[0].host_interface_name: "hw%d" contains '%', which the kernel replaces with a number)"});
    }
  }

  TEST_CASE("addresses are CIDRs and gateways plain IPs, each of its own family") {
    auto with = [](auto set) {
      auto n = veth();
      set(n);
      return check(n);
    };
    SUBCASE("address") {
      CHECK(with([](Network& n) { n.address = "10.0.0.2"; }) ==
            Problems{R"(networks[0].address: "10.0.0.2" is not an IPv4 CIDR)"});
      CHECK(with([](Network& n) { n.address = "fd00::2/64"; }) ==
            Problems{R"(networks[0].address: "fd00::2/64" is not an IPv4 CIDR)"});
      CHECK(with([](Network& n) { n.address = "10.0.0.2/33"; }) ==
            Problems{R"(networks[0].address: "10.0.0.2/33" is not an IPv4 CIDR)"});
    }
    SUBCASE("ipv6_address") {
      CHECK(with([](Network& n) { n.ipv6_address = "10.0.0.2/24"; }) ==
            Problems{R"(networks[0].ipv6_address: "10.0.0.2/24" is not an IPv6 CIDR)"});
      CHECK(with([](Network& n) { n.ipv6_address = "fd00::g/64"; }) ==
            Problems{R"(networks[0].ipv6_address: "fd00::g/64" is not an IPv6 CIDR)"});
    }
    SUBCASE("gateway") {
      CHECK(with([](Network& n) { n.gateway = "10.213.0.1/16"; }) ==
            Problems{R"(networks[0].gateway: "10.213.0.1/16" is not an IPv4 address)"});
      CHECK(with([](Network& n) { n.gateway = "fd00::1"; }) ==
            Problems{R"(networks[0].gateway: "fd00::1" is not an IPv4 address)"});
    }
    SUBCASE("ipv6_gateway") {
      CHECK(with([](Network& n) { n.ipv6_gateway = "10.213.0.1"; }) ==
            Problems{R"(networks[0].ipv6_gateway: "10.213.0.1" is not an IPv6 address)"});
    }
  }

  TEST_CASE("a MAC address must be a unicast one") {
    auto with_mac = [](std::string mac) {
      auto n = veth();
      n.mac_address = std::move(mac);
      return check(n);
    };
    CHECK(with_mac("02:42:ac:11:00:02").empty());
    CHECK(with_mac("02-42-AC-11-00-02").empty());
    CHECK(with_mac("zz:42:ac:11:00:02") ==
          Problems{R"(networks[0].mac_address: "zz:42:ac:11:00:02" is not a MAC address)"});
    CHECK(with_mac("02:42:ac:11:00") == Problems{R"(networks[0].mac_address: "02:42:ac:11:00" is not a MAC address)"});
    for (std::string mac : {"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"}) {
      CAPTURE(mac);
      CHECK(with_mac(mac) == Problems{"networks[0].mac_address: \"" + mac + "\" is not a unicast MAC address"});
    }
  }

  TEST_CASE("mtu is 0 or 68-65535, txqueuelen not negative") {
    auto n = veth();
    for (int mtu : {0, 68, 1500, 65535}) {
      CAPTURE(mtu);
      n.mtu = mtu;
      CHECK(check(n).empty());
    }
    for (int mtu : {67, 65536, -1}) {
      CAPTURE(mtu);
      n.mtu = mtu;
      CHECK(check(n) ==
            Problems{"networks[0].mtu: " + std::to_string(mtu) + " is out of range (0 for the default, or 68-65535)"});
    }
    n.mtu = 0;
    n.txqueuelen = 0;
    CHECK(check(n).empty());
    n.txqueuelen = -1;
    CHECK(check(n) == Problems{"networks[0].txqueuelen: -1 is negative"});
  }

  TEST_CASE("routes") {
    SUBCASE("valid ones, both families") {
      CHECK(check(Route{.destination = "0.0.0.0/0", .gateway = "10.213.0.1"}).empty());
      CHECK(check(Route{.destination = "192.168.0.0/16",
                        .source = "10.213.0.7",
                        .gateway = "10.213.0.254",
                        .interface_name = "eth0"})
                .empty());
      CHECK(check(Route{.destination = "fd00:99::/48", .interface_name = "eth0"}).empty());
      CHECK(check(Route{.destination = "::/0", .source = "fd00:213::7", .gateway = "fe80::1", .interface_name = "eth0"})
                .empty());
    }
    SUBCASE("destination is required and a network CIDR") {
      CHECK(check(Route{.gateway = "10.0.0.1"}) == Problems{"routes[0].destination: missing"});
      CHECK(check(Route{.destination = "10.1.0.0", .gateway = "10.0.0.1"}) ==
            Problems{R"(routes[0].destination: "10.1.0.0" is not a CIDR)"});
      CHECK(check(Route{.destination = "10.1.2.3/16", .gateway = "10.0.0.1"}) ==
            Problems{R"(routes[0].destination: "10.1.2.3/16" has host bits set (the network is 10.1.0.0/16))"});
    }
    SUBCASE("source and gateway are plain IPs") {
      CHECK(check(Route{.destination = "10.1.0.0/16", .source = "10.0.0.7/24", .interface_name = "eth0"}) ==
            Problems{R"(routes[0].source: "10.0.0.7/24" is not an IP address)"});
      CHECK(check(Route{.destination = "10.1.0.0/16", .gateway = "gw"}) ==
            Problems{R"(routes[0].gateway: "gw" is not an IP address)"});
    }
    SUBCASE("all of a route's addresses are of one family") {
      CHECK(check(Route{.destination = "10.1.0.0/16", .gateway = "fd00::1"}) ==
            Problems{R"(routes[0].gateway: "fd00::1" is IPv6 but destination is IPv4)"});
      CHECK(check(Route{.destination = "fd00:1::/64", .source = "10.0.0.7", .interface_name = "eth0"}) ==
            Problems{R"(routes[0].source: "10.0.0.7" is IPv4 but destination is IPv6)"});
      CHECK(check(Route{.destination = "fd00:1::/64", .source = "10.0.0.7", .gateway = "10.0.0.1"}) ==
            Problems{R"(routes[0].source: "10.0.0.7" is IPv4 but destination is IPv6)",
                     R"(routes[0].gateway: "10.0.0.1" is IPv4 but destination is IPv6)"});
    }
    SUBCASE("a route needs a gateway or an interface") {
      CHECK(check(Route{.destination = "10.1.0.0/16"}) == Problems{"routes[0]: needs a gateway or an interface_name"});
    }
  }

  TEST_CASE("networks and routes need NEWNET when the config lists namespaces") {
    Config config;
    config.networks = {Network{.type = "loopback"}};
    const std::string problem = "namespaces: no NEWNET, but networks and routes need a private network namespace";
    SUBCASE("a namespace list without NEWNET is refused") {
      config.namespaces.Add(NamespaceType::newpid, "");
      CHECK(validate(config) == Problems{problem});
      SUBCASE("for routes alone too") {
        config.networks.clear();
        config.routes = {Route{.destination = "10.1.0.0/16", .interface_name = "lo"}};
        CHECK(validate(config) == Problems{problem});
      }
      SUBCASE("but not when there is nothing to wire") {
        config.networks.clear();
        CHECK(validate(config).empty());
      }
    }
    SUBCASE("NEWNET, new or joined, is enough") {
      config.namespaces.Add(NamespaceType::newpid, "");
      config.namespaces.Add(NamespaceType::newnet, "/var/run/netns/n1");
      CHECK(validate(config).empty());
    }
    SUBCASE("an empty list (a profile) leaves the namespace to the runtime") {
      CHECK(validate(config).empty());
    }
  }

  TEST_CASE("hook commands need an absolute path and no negative timeout") {
    Config config;
    auto add = [&](HookName name, Command command) {
      config.hooks.add(name, std::make_shared<CommandHook>(std::move(command)));
    };
    add(HookName::prestart, Command{.path = "/usr/bin/true", .timeout = 0ns});
    add(HookName::poststop, Command{.path = "/usr/bin/true", .timeout = 5s});
    CHECK(validate(config).empty());
    SUBCASE("a relative path") {
      add(HookName::poststop, Command{.path = "bin/hook"});
      CHECK(validate(config) == Problems{R"(Hooks.poststop[1].path: "bin/hook" is not an absolute path)"});
    }
    SUBCASE("no path") {
      add(HookName::create_runtime, Command{});
      CHECK(validate(config) == Problems{"Hooks.createRuntime[0].path: missing"});
    }
    SUBCASE("a negative timeout") {
      add(HookName::start_container, Command{.path = "/bin/x", .timeout = -1s});
      CHECK(validate(config) == Problems{"Hooks.startContainer[0].timeout: negative (-1000000000ns)"});
    }
  }

  TEST_CASE("two veths may not share a name on either side") {
    Config config;
    auto second = veth();
    second.host_interface_name = "hwb";
    config.networks = {veth(), Network{.type = "loopback"}, second};
    CHECK(validate(config) == Problems{R"(networks[2].name: "eth0" is already used by networks[0])"});
    config.networks[2].name = "eth1";
    config.networks[0].host_interface_name = "hwb";
    CHECK(validate(config) == Problems{R"(networks[2].host_interface_name: "hwb" is already used by networks[0])"});
  }

  TEST_CASE("validate reports every problem in order, validate_or_throw the first") {
    Config config;
    auto bad = veth();
    bad.mtu = 10;
    bad.mac_address = "01:00:5e:00:00:01";
    config.networks = {Network{.type = "loopback"}, bad};
    config.routes = {Route{.destination = "nowhere"}};
    const Problems expected = {
        R"(networks[1].mac_address: "01:00:5e:00:00:01" is not a unicast MAC address)",
        "networks[1].mtu: 10 is out of range (0 for the default, or 68-65535)",
        R"(routes[0].destination: "nowhere" is not a CIDR)",
        "routes[0]: needs a gateway or an interface_name",
    };
    CHECK(validate(config) == expected);
    CHECK_THROWS_WITH_AS(hookwire::validate_or_throw(config), expected[0].c_str(), Error);
    try {
      hookwire::validate_or_throw(config);
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
    }
    config.networks.pop_back();
    config.routes.clear();
    CHECK_NOTHROW(hookwire::validate_or_throw(config));
  }

}  // TEST_SUITE
