// The world's pure parts: the profile keys, the ledger's firewall facts, the
// element bytes the kernel is given, the port policy and host port leases.
// (The table itself is exercised for real in tests/integration/stages/world_test.sh.)
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ledger.h>
#include <hookwire/profile.h>

#include "firewall.h"
#include "host_ports.h"
#include "test_util.h"

#include <string>
#include <vector>

using hookwire::Error;
using hookwire::parse_profile;

namespace {

constexpr const char* kWeb = R"({"networks":[{"type":"veth","name":"eth0","bridge":"hwweb0"}],
  "ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"},
          "ipv6":{"subnet":"fd77::/64","gateway":"fd77::1"}},
  "nat":{"outbound":true,"ipv6":true},
  "ports":{"ranges":["8000-8099","9000"],"addresses":["0.0.0.0","::","127.0.0.1"],"max":4}})";

std::string refusal(const std::string& json) {
  try {
    parse_profile(json, "p");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  return "";
}

std::vector<hookwire::PortSpec> ports(const std::string& text) {
  return hookwire::parse_ports(text);
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace

TEST_SUITE("firewall") {
  TEST_CASE("the profile keys nat, ports and isolate are read and defaulted") {
    auto profile = parse_profile(kWeb, "web");
    CHECK(profile.nat.outbound);
    CHECK(profile.nat.ipv6);
    CHECK(profile.isolate);
    REQUIRE(profile.ports.enabled);
    REQUIRE(profile.ports.ranges.size() == 2);
    CHECK(profile.ports.ranges[0].first == 8000);
    CHECK(profile.ports.ranges[0].last == 8099);
    CHECK(profile.ports.ranges[1].first == 9000);
    CHECK(profile.ports.ranges[1].last == 9000);
    CHECK_FALSE(profile.ports.any_address);
    CHECK(profile.ports.addresses.size() == 3);
    CHECK(profile.ports.max == 4);

    auto plain = hookwire::default_profile();
    CHECK_FALSE(plain.nat.outbound);
    CHECK_FALSE(plain.ports.enabled);
    CHECK(plain.isolate);
    CHECK_FALSE(parse_profile(R"({"isolate":false})", "open").isolate);
  }

  TEST_CASE("bad nat, ports and isolate keys are refused, naming the key") {
    CHECK(refusal(R"({"ports":{"ranges":["0-10"]}})").find("ports.ranges") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["9000-8000"]}})").find("not a port range") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["65536"]}})").find("not a port range") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["80-"]}})").find("not a port range") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":[]}})").find("no host port may be published") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["80"],"max":0}})").find("ports.max") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["80"],"max":5000}})").find("ports.max") != std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["80"],"addresses":["nowhere"]}})").find("ports.addresses") !=
          std::string::npos);
    CHECK(refusal(R"({"ports":{"ranges":["80"],"addresses":["::1"]}})").find("::1") != std::string::npos);
    CHECK(refusal(R"({"nat":{"ipv6":true}})").find("nat.ipv6: needs nat.outbound") != std::string::npos);
    // NAT66 only for a ULA pool: the default profile's fd00:213::/64 is one, 2001:db8::/64 is not.
    CHECK(refusal(R"({"ipam":{"ipv6":{"subnet":"2001:db8::/64","gateway":"2001:db8::1"}},
                     "nat":{"outbound":true,"ipv6":true}})")
              .find("unique local") != std::string::npos);
    CHECK(refusal(R"({"nat":"yes"})").find("nat") != std::string::npos);
    CHECK(refusal(R"({"isolate":"no"})").find("isolate") != std::string::npos);
  }

  TEST_CASE("a record's firewall facts survive the ledger, and older records read as none") {
    hookwire::test::TempDir dir;
    hookwire::Ledger ledger(dir.path());
    hookwire::LedgerEntry entry;
    entry.id = "c1";
    entry.profile = "web";
    entry.status = "wired";
    entry.firewall.members = {{"10.77.0.2", "hwweb0"}, {"fd77::2", "hwweb0"}};
    entry.firewall.nat4 = true;
    entry.firewall.isolate = true;
    entry.firewall.ports = {{"0.0.0.0", "tcp", 8080, "10.77.0.2", 80}};
    ledger.write(entry);
    auto back = ledger.find("c1");
    REQUIRE(back);
    CHECK(back->firewall == entry.firewall);

    hookwire::LedgerEntry old = entry;
    old.id = "old";
    old.firewall = {};
    ledger.write(old);
    CHECK(ledger.find("old")->firewall.empty());
  }

  TEST_CASE("elements carry the kernel's bytes: each field padded to 4, network order") {
    hookwire::LedgerFirewall firewall;
    firewall.members = {{"10.77.0.2", "hwweb0"}};
    firewall.nat4 = true;
    firewall.isolate = false;
    firewall.ports = {{"0.0.0.0", "udp", 53, "10.77.0.2", 5353}, {"192.0.2.1", "tcp", 8080, "10.77.0.2", 80}};
    auto elements = hookwire::container_elements(firewall);
    REQUIRE(elements.size() == 4);
    CHECK(elements[0].set == "members4");
    CHECK(hex(elements[0].key) == "0a4d0002" + hex({'h', 'w', 'w', 'e', 'b', '0'}) + std::string(20, '0'));
    CHECK(elements[1].set == "nat4");
    CHECK(hex(elements[1].key) == "0a4d0002");
    // As `nft --debug=netlink add element inet hookwire wild4 { udp . 53 : 10.77.0.2 . 5353 }` prints them.
    CHECK(elements[2].set == "wild4");
    CHECK(hex(elements[2].key) ==
          "11000000"
          "00350000");
    CHECK(hex(elements[2].data) ==
          "0a4d0002"
          "14e90000");
    CHECK(elements[3].set == "ports4");
    CHECK(hex(elements[3].key) ==
          "c0000201"
          "06000000"
          "1f900000");
    CHECK(hookwire::describe_element(elements[3]) == "ports4 192.0.2.1 . tcp . 8080 : 10.77.0.2 . 80");
    CHECK(hookwire::describe_element(elements[0]) == "members4 10.77.0.2 . \"hwweb0\"");

    firewall.isolate = true;
    firewall.nat4 = false;
    firewall.members.push_back({"fd77::2", "hwweb0"});
    firewall.nat6 = true;
    firewall.ports.clear();
    std::vector<std::string> sets;
    for (const auto& element : hookwire::container_elements(firewall)) sets.push_back(element.set);
    CHECK(sets == std::vector<std::string>{"members4", "isolated4", "members6", "nat6", "isolated6"});
  }

  TEST_CASE("plan_firewall expands ranges and families, and refuses a family the container lacks") {
    auto profile = parse_profile(kWeb, "web");
    std::vector<hookwire::LedgerMember> both = {{"10.77.0.2", "hwweb0"}, {"fd77::2", "hwweb0"}};
    auto firewall = hookwire::plan_firewall(profile, ports("8000-8001:80-81/udp,[::]:9000:90"), both);
    CHECK(firewall.nat4);
    CHECK(firewall.nat6);
    CHECK(firewall.isolate);
    // No host address: both families; a range: one port each.
    REQUIRE(firewall.ports.size() == 5);
    CHECK(firewall.ports[0] == hookwire::LedgerPort{"0.0.0.0", "udp", 8000, "10.77.0.2", 80});
    CHECK(firewall.ports[1] == hookwire::LedgerPort{"0.0.0.0", "udp", 8001, "10.77.0.2", 81});
    CHECK(firewall.ports[2] == hookwire::LedgerPort{"::", "udp", 8000, "fd77::2", 80});
    CHECK(firewall.ports[4] == hookwire::LedgerPort{"::", "tcp", 9000, "fd77::2", 90});
    // One lease per protocol and port, whatever the families.
    CHECK(hookwire::leased_ports(firewall).size() == 3);

    std::vector<hookwire::LedgerMember> v4only = {{"10.77.0.2", "hwweb0"}};
    CHECK_THROWS_WITH_AS(hookwire::plan_firewall(profile, ports("[::]:9000:90"), v4only),
                         doctest::Contains("no IPv6 address"), Error);
    CHECK(hookwire::plan_firewall(profile, ports("8000:80"), v4only).ports.size() == 1);
  }

  TEST_CASE("check_ports holds the annotation to the profile's ranges, max and addresses") {
    auto profile = parse_profile(kWeb, "web");
    CHECK_NOTHROW(hookwire::check_ports(profile, ports("8000:80,9000:90/udp")));
    CHECK_NOTHROW(hookwire::check_ports(profile, ports("127.0.0.1:8000:80")));
    CHECK_THROWS_WITH_AS(hookwire::check_ports(profile, ports("8100:80")), doctest::Contains("outside the ranges"),
                         Error);
    CHECK_THROWS_WITH_AS(hookwire::check_ports(profile, ports("8000-8004:80-84")),
                         doctest::Contains("5 host ports, profile web allows 4"), Error);
    // Allowed by the profile, but not an address of this host.
    CHECK_THROWS_WITH_AS(hookwire::check_ports(profile, ports("203.0.113.9:8000:80")),
                         doctest::Contains("not an address of this host"), Error);
    CHECK_THROWS_WITH_AS(hookwire::check_ports(hookwire::default_profile(), ports("8000:80")),
                         doctest::Contains("publishes no ports"), Error);

    auto narrow = parse_profile(R"({"ipam":{"ipv4":{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}},
                                    "ports":{"ranges":["8000"],"addresses":["127.0.0.1"]}})",
                                "narrow");
    CHECK_THROWS_WITH_AS(hookwire::check_ports(narrow, ports("8000:80")),
                         doctest::Contains("does not allow every host IPv4 address"), Error);
    CHECK_THROWS_WITH_AS(hookwire::check_ports(narrow, ports("[::]:8000:80")), doctest::Contains("no IPv6 address"),
                         Error);
    CHECK_NOTHROW(hookwire::check_ports(narrow, {}));
  }

  TEST_CASE("a host port is leased once; the holder is named; only the holder releases it") {
    hookwire::test::TempDir dir;
    hookwire::HostPort port{hookwire::Protocol::tcp, 8080};
    hookwire::lease_host_port(dir.path(), port, "c1");
    CHECK_THROWS_WITH_AS(hookwire::lease_host_port(dir.path(), port, "c2"),
                         doctest::Contains("host port 8080/tcp is held by container \"c1\""), Error);
    // Same number, other protocol: another port.
    CHECK_NOTHROW(hookwire::lease_host_port(dir.path(), {hookwire::Protocol::udp, 8080}, "c2"));
    CHECK_FALSE(hookwire::release_host_port(dir.path(), port, "c2"));
    CHECK(hookwire::release_host_port(dir.path(), port, "c1"));
    CHECK_NOTHROW(hookwire::lease_host_port(dir.path(), port, "c2"));
    auto released = hookwire::release_host_ports_of(dir.path(), "c2");
    CHECK(released.size() == 2);
    CHECK(hookwire::host_port_name(port) == "tcp-8080");
    CHECK(hookwire::parse_host_port_name("sctp-1") == hookwire::HostPort{hookwire::Protocol::sctp, 1});
    CHECK_FALSE(hookwire::parse_host_port_name("tcp-08080"));
    CHECK_FALSE(hookwire::parse_host_port_name("tcp-65536"));
    CHECK_FALSE(hookwire::parse_host_port_name("icmp-1"));
  }
}
