// ensure_bridge: creation, idempotence, repair, refusal and the race between hooks.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/network.h>

#include <algorithm>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "netlink/link.h"

using namespace lab;
using hookwire::Error;

namespace {

// The "local/prefixlen" texts of `name`'s global addresses.
std::vector<std::string> global_addresses(const ThrowawayNetns& ns, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& a : addresses(ns, name))
    if (a.value("scope", "") == "global")
      out.push_back(a.value("local", "") + "/" + std::to_string(a.value("prefixlen", 0)));
  std::sort(out.begin(), out.end());
  return out;
}

int count_bridges(const ThrowawayNetns& ns) {
  int bridges = 0;
  for (const auto& entry : ip_json(ns, "-d link"))
    if (entry.contains("linkinfo") && entry["linkinfo"].value("info_kind", "") == "bridge") ++bridges;
  return bridges;
}

}  // namespace

TEST_SUITE("bridge") {
  TEST_CASE("ensure_bridge creates an up bridge holding both gateway addresses, IPv6 not tentative") {
    Lab lab;
    CHECK(hookwire::ensure_bridge(default_bridge()));

    json bridge = link(lab.host, "hookwire0");
    REQUIRE(bridge.is_object());
    CHECK(bridge["linkinfo"]["info_kind"] == "bridge");
    CHECK(has(bridge["flags"], "UP"));
    CHECK(global_addresses(lab.host, "hookwire0") == std::vector<std::string>{"10.213.0.1/16", "fd00:213::1/64"});
    for (const auto& a : addresses(lab.host, "hookwire0"))
      if (a.value("local", "") == "fd00:213::1") CHECK_FALSE(a.value("tentative", false));
  }

  TEST_CASE("ensure_bridge is idempotent: a second call creates nothing and duplicates nothing") {
    Lab lab;
    CHECK(hookwire::ensure_bridge(default_bridge()));
    CHECK_FALSE(hookwire::ensure_bridge(default_bridge()));
    CHECK(count_bridges(lab.host) == 1);
    CHECK(global_addresses(lab.host, "hookwire0") == std::vector<std::string>{"10.213.0.1/16", "fd00:213::1/64"});
  }

  TEST_CASE("ensure_bridge brings an existing bridge up and adds the addresses it lacks") {
    Lab lab;
    run_in(lab.host, "ip link add hookwire0 type bridge");
    run_in(lab.host, "ip addr add 10.213.0.1/16 dev hookwire0");
    CHECK_FALSE(hookwire::ensure_bridge(default_bridge()));
    CHECK(has(link(lab.host, "hookwire0")["flags"], "UP"));
    CHECK(global_addresses(lab.host, "hookwire0") == std::vector<std::string>{"10.213.0.1/16", "fd00:213::1/64"});
  }

  TEST_CASE("ensure_bridge without addresses only creates the bridge") {
    Lab lab;
    CHECK(hookwire::ensure_bridge({"br-bare", {}}));
    CHECK(link(lab.host, "br-bare")["linkinfo"]["info_kind"] == "bridge");
    CHECK(global_addresses(lab.host, "br-bare").empty());
  }

  TEST_CASE("a bridge made by ensure_bridge keeps its MAC while ports come and go") {
    // A bridge with no MAC of its own takes its ports' lowest one (all zeros with
    // none): the gateway MAC cached by every container would change under them.
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    std::string mac = link(lab.host, "hookwire0")["address"];
    CHECK(mac != "00:00:00:00:00:00");
    CHECK((std::stoi(mac.substr(0, 2), nullptr, 16) & 0x03) == 0x02);  // locally administered unicast
    {
      hookwire::Wiring wiring(lab.container.handle());
      wiring.add_veth(veth_network());
      CHECK(link(lab.host, "hookwire0")["address"] == mac);
    }  // rolled back: the bridge has no port again
    CHECK(link(lab.host, "hookwire0")["address"] == mac);
  }

  TEST_CASE("a link of the bridge's name that is not a bridge is refused with a clear input error") {
    Lab lab;
    // This kernel has no dummy driver; ifb is another non-bridge kind it has.
    run_in(lab.host, "ip link add hookwire0 type ifb");
    CHECK_THROWS_WITH_AS(hookwire::ensure_bridge(default_bridge()),
                         "bridge hookwire0: exists and is an ifb, not a bridge", Error);
    try {
      hookwire::ensure_bridge(default_bridge());
    } catch (const Error& e) {
      CHECK(e.kind() == Error::Kind::input);
    }
    // Nothing was done to the ifb.
    CHECK(link(lab.host, "hookwire0")["linkinfo"]["info_kind"] == "ifb");
    CHECK_FALSE(has(link(lab.host, "hookwire0")["flags"], "UP"));
    CHECK(addresses(lab.host, "hookwire0").empty());
  }

  TEST_CASE("the refusal names the other link's kind, as in the issue's example") {
    hookwire::netlink::LinkInfo dummy;
    dummy.name = "hookwire0";
    dummy.kind = "dummy";
    CHECK_THROWS_WITH_AS(hookwire::netlink::require_bridge(dummy),
                         "bridge hookwire0: exists and is a dummy, not a bridge", Error);
    dummy.kind = "";
    CHECK_THROWS_WITH_AS(hookwire::netlink::require_bridge(dummy), "bridge hookwire0: exists and is not a bridge",
                         Error);
    dummy.kind = "bridge";
    CHECK_NOTHROW(hookwire::netlink::require_bridge(dummy));
  }

  TEST_CASE("two processes ensuring the same new bridge at once both succeed, 20 rounds") {
    for (int round = 0; round < 20; ++round) {
      CAPTURE(round);
      ThrowawayNetns host;
      hookwire::NetnsGuard inside(host.fd());
      int go[2];
      REQUIRE(pipe(go) == 0);
      pid_t children[2];
      for (auto& child : children) {
        child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
          // Both children wait for the same starting gun, then race.
          close(go[1]);
          char byte;
          if (read(go[0], &byte, 1) < 0) _exit(3);
          try {
            hookwire::ensure_bridge(default_bridge());
            _exit(0);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            _exit(1);
          }
        }
      }
      close(go[0]);
      close(go[1]);  // EOF releases both children together
      for (pid_t child : children) {
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
      }
      CHECK(count_bridges(host) == 1);
      CHECK(has(link(host, "hookwire0")["flags"], "UP"));
      CHECK(global_addresses(host, "hookwire0") == std::vector<std::string>{"10.213.0.1/16", "fd00:213::1/64"});
    }
  }
}
