#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/profile.h>

#include <string>
#include <vector>

using hookwire::Error;
using hookwire::parse_profile;

TEST_SUITE("profile") {
  TEST_CASE("the built-in default profile is what DESIGN.md promises, and valid") {
    auto profile = hookwire::default_profile();
    CHECK(profile.name == "default");
    REQUIRE(profile.config.networks.size() == 2);
    CHECK(profile.config.networks[0].type == "loopback");
    CHECK(profile.config.networks[1].type == "veth");
    CHECK(profile.config.networks[1].name == "eth0");
    CHECK(profile.config.networks[1].bridge == "hookwire0");
    REQUIRE(profile.ipv4);
    CHECK(profile.ipv4->subnet.str() == "10.213.0.0/16");
    CHECK(profile.ipv4->gateway.str() == "10.213.0.1");
    CHECK(profile.ipv4->key() == "10.213.0.0-16");
    REQUIRE(profile.ipv6);
    CHECK(profile.ipv6->subnet.str() == "fd00:213::/64");
    CHECK(profile.ipv6->gateway_cidr().str() == "fd00:213::1/64");
    CHECK(hookwire::validate(profile).empty());
  }

  TEST_CASE("a full profile parses: networks, routes, Hooks, ipam, dns, sysctls, etc_hosts") {
    auto profile = parse_profile(R"({
    "networks": [{"type":"loopback"},{"type":"veth","name":"eth0","bridge":"br-web","mtu":1400,"hairpin_mode":true}],
    "routes": [{"destination":"10.50.0.0/16","gateway":"10.77.0.254"}],
    "Hooks": {"poststop": [{"path":"/usr/bin/logger","args":["logger","bye"],"timeout":2000000000}]},
    "ipam": {"ipv4": {"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}},
    "dns": {"nameservers":["10.77.0.1"],"search":["web.internal"],"options":["ndots:1"]},
    "sysctls": {"net.ipv4.ip_unprivileged_port_start":"0"},
    "etc_hosts": true,
    "mounts": ["ignored like any key runc writes"]
  })",
                                 "web");
    CHECK(profile.name == "web");
    CHECK(profile.config.networks[1].mtu == 1400);
    CHECK(profile.config.routes.size() == 1);
    CHECK(profile.config.hooks.at(hookwire::HookName::poststop).size() == 1);
    CHECK(profile.ipv4->subnet.str() == "10.77.0.0/24");
    CHECK_FALSE(profile.ipv6);
    CHECK(profile.dns.nameservers == std::vector<std::string>{"10.77.0.1"});
    CHECK(profile.dns.search == std::vector<std::string>{"web.internal"});
    CHECK(profile.sysctls.at("net.ipv4.ip_unprivileged_port_start") == "0");
    CHECK(profile.etc_hosts);
  }

  TEST_CASE("bad profiles get one line naming the profile and the field") {
    struct Case {
      const char* json;
      const char* message;
    };
    const Case cases[] = {
        {R"([1])", "profile p: expected a JSON object, got an array"},
        {R"({"ipam":[]})", "profile p: ipam: expected an object, got an array"},
        {R"({"ipam":{"ipv4":{"gateway":"10.0.0.1"}}})", "profile p: ipam.ipv4.subnet: missing"},
        {R"({"ipam":{"ipv4":{"subnet":"fd00::/64","gateway":"10.0.0.1"}}})",
         "profile p: ipam.ipv4.subnet: not an IPv4 CIDR: \"fd00::/64\""},
        {R"({"ipam":{"ipv4":{"subnet":"10.0.0.0/24","gateway":"10.0.1.1"}}})",
         "profile p: ipam.ipv4.gateway: 10.0.1.1 is outside 10.0.0.0/24"},
        {R"({"ipam":{"ipv4":{"subnet":"10.0.0.5/24","gateway":"10.0.0.1"}}})",
         "profile p: ipam.ipv4.subnet: 10.0.0.5/24 has host bits set (the network is 10.0.0.0/24)"},
        {R"({"ipam":{"ipv4":{"subnet":"10.0.0.0/31","gateway":"10.0.0.1"}}})",
         "profile p: ipam.ipv4.subnet: 10.0.0.0/31 is too small (prefix at most /30)"},
        {R"({"ipam":{"ipv4":{"subnet":"10.0.0.0/24","gateway":"10.0.0.255"}}})",
         "profile p: ipam.ipv4.gateway: 10.0.0.255 is the network or broadcast address"},
        {R"({"networks":[{"type":"veth","name":"eth0"}],"ipam":{"ipv4":{"subnet":"10.0.0.0/24","gateway":"10.0.0.1"}}})",
         "profile p: networks[0].bridge: a veth needs a bridge"},
        {R"({"networks":[{"type":"veth","name":"eth0","bridge":"br0"}]})",
         "profile p: networks[0]: a veth needs an address, an ipv6_address or an ipam pool"},
        {R"({"sysctls":{"kernel.core_pattern":"|/bin/sh"}})",
         "profile p: sysctls: \"kernel.core_pattern\" is not allowed (only net.ipv4.*, net.ipv6.*, "
         "net.core.somaxconn, net.unix.max_dgram_qlen)"},
        {R"({"sysctls":{"net.ipv4.ip_forward":1}})",
         "profile p: sysctls[\"net.ipv4.ip_forward\"]: expected a string, got a number"},
        {R"({"dns":{"nameservers":["dns.example"]}})",
         "profile p: dns.nameservers[0]: not an IP address: \"dns.example\""},
        {R"({"etc_hosts":"yes"})", "profile p: etc_hosts: expected a boolean, got a string"},
        {R"({"dns":{},"dns":{}})", "profile p: duplicate key \"dns\""},
        {R"({"dns":)",
         "profile p: not valid JSON: parse error at line 1, column 8: syntax error while parsing value - "
         "unexpected end of input; expected '[', '{', or a literal"},
        {R"({"networks":[{"type":"veth","name":"eth0","bridge":"br0","mtu":"1500"}]})",
         "profile p: networks[0].mtu: expected an integer, got a string"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.json);
      CHECK_THROWS_WITH_AS(parse_profile(c.json, "p"), c.message, Error);
    }
  }

  // README and docs/security.md said every stage runs its chained hooks, but the
  // startContainer gate runs inside the container and never reads the profile: a
  // profile's Hooks.startContainer was accepted and then silently never run.
  TEST_CASE("a profile's startContainer hooks are refused, since the gate cannot run them") {
    const char* json = R"({"Hooks":{"startContainer":[{"path":"/usr/bin/logger"}]}})";
    const char* problem =
        "Hooks.startContainer: never run: the startContainer gate runs inside the container and cannot read profiles "
        "(chain them at createContainer or poststart)";
    CHECK(hookwire::validate(hookwire::read_profile(json, "p")) == std::vector<std::string>{problem});
    CHECK_THROWS_WITH_AS(parse_profile(json, "p"), (std::string("profile p: ") + problem).c_str(), Error);
    SUBCASE("every other stage's chained hooks are accepted") {
      for (const char* stage : {"prestart", "createRuntime", "createContainer", "poststart", "poststop"}) {
        CAPTURE(stage);
        auto text = std::string(R"({"Hooks":{")") + stage + R"(":[{"path":"/usr/bin/logger"}]}})";
        CHECK(hookwire::validate(hookwire::read_profile(text, "p")).empty());
      }
    }
    SUBCASE("an empty or null startContainer list is fine") {
      CHECK_NOTHROW(parse_profile(R"({"Hooks":{"startContainer":[]}})", "p"));
      CHECK_NOTHROW(parse_profile(R"({"Hooks":{"startContainer":null}})", "p"));
    }
  }

  TEST_CASE("profile names are a closed alphabet") {
    for (const char* good : {"default", "web", "a", "web-1.prod_2", "0abc"}) {
      CAPTURE(good);
      CHECK(hookwire::is_valid_profile_name(good));
    }
    for (const std::string& bad :
         std::vector<std::string>{"", "../etc/passwd", "Web", "-web", ".hidden", "a/b", "web\n",
                                  "d\xd0\xb5"
                                  "fault",
                                  std::string(65, 'a')}) {
      CAPTURE(bad);
      CHECK_FALSE(hookwire::is_valid_profile_name(bad));
    }
  }

  TEST_CASE("only per-netns net.* sysctls are allowed") {
    CHECK(hookwire::is_allowed_sysctl("net.ipv4.ip_forward"));
    CHECK(hookwire::is_allowed_sysctl("net.ipv6.conf.all.disable_ipv6"));
    CHECK(hookwire::is_allowed_sysctl("net.core.somaxconn"));
    CHECK_FALSE(hookwire::is_allowed_sysctl("net.core.rmem_max"));
    CHECK_FALSE(hookwire::is_allowed_sysctl("kernel.hostname"));
    CHECK_FALSE(hookwire::is_allowed_sysctl("net.ipv4..ip_forward"));
    CHECK_FALSE(hookwire::is_allowed_sysctl("net.ipv4/../../kernel"));
    CHECK_FALSE(hookwire::is_allowed_sysctl("net.ipv4."));
  }

}  // TEST_SUITE
