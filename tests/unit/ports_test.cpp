#include <doctest/doctest.h>

#include <hookwire/error.h>

#include "annotations.h"
#include "port_spec.h"

#include <string>
#include <vector>

using hookwire::Error;
using hookwire::host_ports;
using hookwire::HostPort;
using hookwire::IpAddress;
using hookwire::parse_ports;
using hookwire::PortSpec;
using hookwire::Protocol;

namespace {

PortSpec spec(std::uint16_t host_first, std::uint16_t host_last, std::uint16_t container_first,
              std::uint16_t container_last, Protocol protocol = Protocol::tcp, const char* address = nullptr) {
  PortSpec out;
  if (address) out.host_address = *IpAddress::parse(address);
  out.host_first = host_first;
  out.host_last = host_last;
  out.container_first = container_first;
  out.container_last = container_last;
  out.protocol = protocol;
  return out;
}

// The message parse_ports gives for `text` refused at `entry` because of `why`.
std::string refusal(const std::string& text, const std::string& entry, const std::string& why) {
  return "annotation io.hookwire.ports=\"" + text + "\": entry \"" + entry + "\": " + why;
}

// `n` entries "P:P" for P = 1000, 1001, ...
std::string entries(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += (i ? "," : "") + std::to_string(1000 + i) + ":" + std::to_string(1000 + i);
  return text;
}

hookwire::State with_ports(std::string value) {
  hookwire::State state;
  state.id = "c1";
  state.annotations = {{"io.hookwire.ports", std::move(value)}};
  return state;
}

}  // namespace

TEST_SUITE("ports") {
  TEST_CASE("every accepted shape is read into its fields") {
    struct Case {
      const char* text;
      std::vector<PortSpec> specs;
    };
    const Case cases[] = {
        {"8080:80/tcp", {spec(8080, 8080, 80, 80)}},
        {"8080:80", {spec(8080, 8080, 80, 80)}},
        {"5353:53/udp", {spec(5353, 5353, 53, 53, Protocol::udp)}},
        {"3868:3868/sctp", {spec(3868, 3868, 3868, 3868, Protocol::sctp)}},
        {"[::]:5353:53/udp", {spec(5353, 5353, 53, 53, Protocol::udp, "::")}},
        {"[fd00::1]:80:80", {spec(80, 80, 80, 80, Protocol::tcp, "fd00::1")}},
        {"[::ffff:10.0.0.1]:80:80", {spec(80, 80, 80, 80, Protocol::tcp, "::ffff:10.0.0.1")}},
        {"9000-9009:9000-9009/tcp", {spec(9000, 9009, 9000, 9009)}},
        {"9000-9009:10000-10009/udp", {spec(9000, 9009, 10000, 10009, Protocol::udp)}},
        {"8080-8080:80-80", {spec(8080, 8080, 80, 80)}},
        {"127.0.0.1:8080:80", {spec(8080, 8080, 80, 80, Protocol::tcp, "127.0.0.1")}},
        {"0.0.0.0:53:53/udp,53:53/tcp",
         {spec(53, 53, 53, 53, Protocol::udp, "0.0.0.0"), spec(53, 53, 53, 53, Protocol::tcp)}},
        {"53:53/tcp,53:53/udp,53:53/sctp",
         {spec(53, 53, 53, 53), spec(53, 53, 53, 53, Protocol::udp), spec(53, 53, 53, 53, Protocol::sctp)}},
        {"1:1", {spec(1, 1, 1, 1)}},
        {"65535:65535", {spec(65535, 65535, 65535, 65535)}},
        {"65534-65535:1-2/udp", {spec(65534, 65535, 1, 2, Protocol::udp)}},
        {"80:80,81:80", {spec(80, 80, 80, 80), spec(81, 81, 80, 80)}},  // one container port, two host ports
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      CHECK(parse_ports(c.text) == c.specs);
    }
    SUBCASE("no address is not the unspecified address") {
      auto specs = parse_ports("80:80,[::]:81:81,0.0.0.0:82:82");
      REQUIRE(specs.size() == 3);
      CHECK_FALSE(specs[0].host_address.has_value());
      CHECK(specs[1].host_address->is_unspecified());
      CHECK(specs[1].host_address->family() == hookwire::Family::v6);
      CHECK(specs[2].host_address->is_unspecified());
      CHECK(specs[2].host_address->family() == hookwire::Family::v4);
    }
  }

  TEST_CASE("malformed entries are refused, naming the entry and why") {
    struct Case {
      std::string text;
      std::string entry;
      std::string why;
    };
    const std::string shape = "expected [HOST_ADDRESS:]HOST_PORT:CONTAINER_PORT[/PROTOCOL]";
    const std::string bad_address = "the host address is not an IPv4 address or an IPv6 address in brackets";
    const Case cases[] = {
        // Empty text and empty entries.
        {"", "", "empty entry"},
        {",", "", "empty entry"},
        {"80:80,", "", "empty entry"},
        {",80:80", "", "empty entry"},
        {"80:80,,81:81", "", "empty entry"},
        // Spaces.
        {"80:80, 81:81", " 81:81", "spaces are not allowed"},
        {"80 :80", "80 :80", "spaces are not allowed"},
        {"80:80/tcp ", "80:80/tcp ", "spaces are not allowed"},
        // The shape.
        {"80", "80", shape},
        {"80:80:80:80", "80:80:80:80", shape},
        {"[::1]:80", "[::1]:80", shape},
        {"[::1]:80:80:80", "[::1]:80:80:80", shape},
        {"[::1]80:80", "[::1]80:80", "expected ':' after the host address"},
        {"[::1]", "[::1]", "expected ':' after the host address"},
        {"[::1:80:80", "[::1:80:80", "'[' without ']' around the host address"},
        // Numbers that are not decimal, or signed.
        {"0x50:80", "0x50:80", "host port is not a decimal number"},
        {"80:8O", "80:8O", "container port is not a decimal number"},
        {"80:\xd9\xa8\xd9\xa0", "80:\xd9\xa8\xd9\xa0", "container port is not a decimal number"},  // Arabic-Indic
        {"1e3:80", "1e3:80", "host port is not a decimal number"},
        {"80.0:80", "80.0:80", "host port is not a decimal number"},
        {"+80:80", "+80:80", "host port has a sign"},
        {"80:+80", "80:+80", "container port has a sign"},
        {"-80:80", "-80:80", "host port has a sign"},
        {"80:-80", "80:-80", "container port has a sign"},
        {"80-+90:80-90", "80-+90:80-90", "host port has a sign"},
        {"80--90:80-90", "80--90:80-90", "host port has a sign"},
        {"080:80", "080:80", "host port has a leading zero"},
        {":80", ":80", "missing host port"},
        {"80:", "80:", "missing container port"},
        {"80-:80", "80-:80", "missing host port"},
        {"80-90-100:80", "80-90-100:80", "host port is not a decimal number"},
        // Overflow and port 0.
        {"65536:80", "65536:80", "host port is above 65535"},
        {"80:65536", "80:65536", "container port is above 65535"},
        {"99999999999999999999:80", "99999999999999999999:80", "host port is above 65535"},
        {"80:4294967376", "80:4294967376", "container port is above 65535"},                      // 2^32 + 80
        {"80:18446744073709551696", "80:18446744073709551696", "container port is above 65535"},  // 2^64 + 80
        {"0:80", "0:80", "host port 0 is not a port (1-65535)"},
        {"80:0", "80:0", "container port 0 is not a port (1-65535)"},
        {"00:80", "00:80", "host port 0 is not a port (1-65535)"},
        {"0-10:0-10", "0-10:0-10", "host port 0 is not a port (1-65535)"},
        // Ranges.
        {"9009-9000:9000-9009", "9009-9000:9000-9009", "host range 9009-9000 is reversed"},
        {"9000-9009:9009-9000", "9000-9009:9009-9000", "container range 9009-9000 is reversed"},
        {"9000-9009:9000", "9000-9009:9000", "the host range has 10 ports, the container range 1"},
        {"9000:9000-9009", "9000:9000-9009", "the host range has 1 ports, the container range 10"},
        {"9000-9009:9000-9008", "9000-9009:9000-9008", "the host range has 10 ports, the container range 9"},
        // Protocols.
        {"80:80/TCP", "80:80/TCP", "unknown protocol \"TCP\" (tcp, udp or sctp)"},
        {"80:80/icmp", "80:80/icmp", "unknown protocol \"icmp\" (tcp, udp or sctp)"},
        {"80:80/tcp/udp", "80:80/tcp/udp", "unknown protocol \"tcp/udp\" (tcp, udp or sctp)"},
        {"80:80/", "80:80/", "empty protocol after '/' (tcp, udp or sctp)"},
        {"80/tcp:80", "80/tcp:80", "unknown protocol \"tcp:80\" (tcp, udp or sctp)"},
        // Addresses.
        {"::1:80:80", "::1:80:80", "an IPv6 host address goes in brackets ([ADDRESS]:HOST:CONTAINER)"},
        {"fd00::1:80:80", "fd00::1:80:80", "an IPv6 host address goes in brackets ([ADDRESS]:HOST:CONTAINER)"},
        {"[127.0.0.1]:80:80", "[127.0.0.1]:80:80", "brackets are only for an IPv6 host address"},
        {"localhost:80:80", "localhost:80:80", bad_address},
        {":80:80", ":80:80", bad_address},
        {"[]:80:80", "[]:80:80", bad_address},
        {"[fe80::1%eth0]:80:80", "[fe80::1%eth0]:80:80", bad_address},
        {"[fd00::/64]:80:80", "[fd00::/64]:80:80", "unknown protocol \"64]:80:80\" (tcp, udp or sctp)"},
        {"10.0.0.256:80:80", "10.0.0.256:80:80", bad_address},
        {"10.0.0:80:80", "10.0.0:80:80", bad_address},
        {"010.0.0.1:80:80", "010.0.0.1:80:80", bad_address},
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      CHECK_THROWS_WITH_AS(parse_ports(c.text), refusal(c.text, c.entry, c.why).c_str(), Error);
    }
    SUBCASE("control bytes are escaped: the message stays one line") {
      CHECK_THROWS_WITH_AS(parse_ports("80:80\n81:81"),
                           "annotation io.hookwire.ports=\"80:80\\x0a81:81\": entry \"80:80\\x0a81:81\": spaces are "
                           "not allowed",
                           Error);
      CHECK_THROWS_WITH_AS(parse_ports(std::string("80:80\0", 6)),
                           "annotation io.hookwire.ports=\"80:80\\x00\": entry \"80:80\\x00\": container port is not "
                           "a decimal number",
                           Error);
    }
    SUBCASE("an address with a NUL byte inside is refused") {
      // Found by ports_fuzzer: inet_pton stops at the NUL, so "0.0.0.0\0..." parsed as 0.0.0.0.
      std::string text("0.0.0.0\0\0:53:53/udp", 19);
      CHECK_THROWS_WITH_AS(parse_ports(text),
                           refusal("0.0.0.0\\x00\\x00:53:53/udp", "0.0.0.0\\x00\\x00:53:53/udp", bad_address).c_str(),
                           Error);
      CHECK_THROWS_AS(parse_ports(std::string("[::1\0]:53:53", 12)), Error);
    }
    SUBCASE("a refusal is an input error") {
      try {
        parse_ports("80:0");
        FAIL("80:0 was accepted");
      } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::input);
        CHECK(e.exit_code() == 2);
      }
    }
    SUBCASE("the value and the entry are quoted and cut short in the message") {
      std::string entry = "80:80/" + std::string(100, 'x');
      std::string text = "1:1," + entry;
      CHECK_THROWS_WITH_AS(parse_ports(text),
                           refusal(text.substr(0, 64) + "...", entry.substr(0, 64) + "...",
                                   "unknown protocol \"" + std::string(16, 'x') + "...\" (tcp, udp or sctp)")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("a host port and protocol is published once, whatever the address") {
    struct Case {
      std::string text;
      std::string entry;
      std::string why;
    };
    const Case cases[] = {
        {"80:80,80:81", "80:81", "duplicate host port 80/tcp (also in entry \"80:80\")"},
        {"80:80/tcp,80:80", "80:80", "duplicate host port 80/tcp (also in entry \"80:80/tcp\")"},
        {"53:53/udp,53:54/udp", "53:54/udp", "duplicate host port 53/udp (also in entry \"53:53/udp\")"},
        {"127.0.0.1:80:80,10.0.0.1:80:80", "10.0.0.1:80:80",
         "duplicate host port 80/tcp (also in entry \"127.0.0.1:80:80\")"},
        {"[::]:80:80,0.0.0.0:80:80", "0.0.0.0:80:80", "duplicate host port 80/tcp (also in entry \"[::]:80:80\")"},
        {"[::1]:80:80,80:80", "80:80", "duplicate host port 80/tcp (also in entry \"[::1]:80:80\")"},
        {"9000-9009:9000-9009,9009:80", "9009:80",
         "duplicate host port 9009/tcp (also in entry \"9000-9009:9000-9009\")"},
        {"9005:80,9000-9009:9000-9009", "9000-9009:9000-9009",
         "duplicate host port 9005/tcp (also in entry \"9005:80\")"},
        {"9000-9009:9000-9009,8995-9000:1-6", "8995-9000:1-6",
         "duplicate host port 9000/tcp (also in entry \"9000-9009:9000-9009\")"},
        {"9000-9009:9000-9009,9002-9003:1-2", "9002-9003:1-2",
         "duplicate host port 9002/tcp (also in entry \"9000-9009:9000-9009\")"},
        {"1:1/sctp,2:2/udp,1:3/sctp", "1:3/sctp", "duplicate host port 1/sctp (also in entry \"1:1/sctp\")"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      CHECK_THROWS_WITH_AS(parse_ports(c.text), refusal(c.text, c.entry, c.why).c_str(), Error);
    }
    SUBCASE("adjacent ranges and other protocols share nothing") {
      CHECK(parse_ports("9000-9009:9000-9009,9010-9019:9000-9009,8990-8999:1-10").size() == 3);
      CHECK(parse_ports("80:80/tcp,80:80/udp,80:80/sctp").size() == 3);
      CHECK(parse_ports("[::1]:80:80/tcp,127.0.0.1:80:80/udp").size() == 2);
    }
  }

  TEST_CASE("at most 64 entries and 1024 ports") {
    CHECK(parse_ports(entries(64)).size() == 64);
    std::string sixty_five = entries(65);
    CHECK_THROWS_WITH_AS(parse_ports(sixty_five),
                         refusal(sixty_five.substr(0, 64) + "...", "1064:1064", "more than 64 entries").c_str(), Error);
    CHECK(parse_ports("1-1024:1-1024").size() == 1);
    CHECK(parse_ports("1-1000:1-1000,2001-2024:1-24/udp").size() == 2);
    CHECK_THROWS_WITH_AS(parse_ports("1-1025:1-1025"),
                         refusal("1-1025:1-1025", "1-1025:1-1025", "more than 1024 ports in all").c_str(), Error);
    CHECK_THROWS_WITH_AS(parse_ports("1-1024:1-1024,2000:2000/udp"),
                         refusal("1-1024:1-1024,2000:2000/udp", "2000:2000/udp", "more than 1024 ports in all").c_str(),
                         Error);
    CHECK_THROWS_WITH_AS(parse_ports("1-65535:1-65535"),
                         refusal("1-65535:1-65535", "1-65535:1-65535", "more than 1024 ports in all").c_str(), Error);
    SUBCASE("a long list stops at its 65th entry") {
      std::string text = entries(65) + std::string(100000, ',');
      CHECK_THROWS_WITH_AS(parse_ports(text),
                           refusal(text.substr(0, 64) + "...", "1064:1064", "more than 64 entries").c_str(), Error);
    }
  }

  TEST_CASE("host_ports expands every range, in order") {
    auto ports = host_ports(parse_ports("9001-9003:1-3/udp,80:80,[::]:65535:1/sctp"));
    const std::vector<HostPort> expected = {{Protocol::udp, 9001},
                                            {Protocol::udp, 9002},
                                            {Protocol::udp, 9003},
                                            {Protocol::tcp, 80},
                                            {Protocol::sctp, 65535}};
    CHECK(ports == expected);
    CHECK(host_ports({}).empty());
    CHECK(host_ports(parse_ports("1-1024:1-1024")).size() == 1024);
    CHECK(host_ports(parse_ports("64512-65535:64512-65535")).back() == HostPort{Protocol::tcp, 65535});
  }

  TEST_CASE("protocol names") {
    for (auto protocol : {Protocol::tcp, Protocol::udp, Protocol::sctp})
      CHECK(hookwire::parse_protocol(hookwire::protocol_name(protocol)) == protocol);
    CHECK(hookwire::protocol_name(Protocol::udp) == "udp");
    CHECK(static_cast<int>(Protocol::sctp) == 132);
    for (const char* text : {"", "TCP", "Udp", "icmp", "tcp ", " tcp", "tcp6", "6"})
      CHECK_FALSE(hookwire::parse_protocol(text).has_value());
    CHECK_FALSE(hookwire::parse_protocol(std::string_view("tcp\0", 4)).has_value());
  }

  TEST_CASE("read_choices reads io.hookwire.ports") {
    CHECK(hookwire::read_choices(with_ports("8080:80,[::]:5353:53/udp")).ports ==
          std::vector<PortSpec>{spec(8080, 8080, 80, 80), spec(5353, 5353, 53, 53, Protocol::udp, "::")});
    hookwire::State none;
    none.id = "c1";
    CHECK(hookwire::read_choices(none).ports.empty());
    CHECK_THROWS_WITH_AS(
        hookwire::read_choices(with_ports("8080:80/icmp")),
        refusal("8080:80/icmp", "8080:80/icmp", "unknown protocol \"icmp\" (tcp, udp or sctp)").c_str(), Error);
    CHECK_THROWS_WITH_AS(hookwire::read_choices(with_ports("")), refusal("", "", "empty entry").c_str(), Error);
    SUBCASE("a ports list may be longer than the other values, up to 4096 bytes") {
      // 64 entries of "[fd00:213::1]:10000-10009:20000-20009/udp" (41 bytes each) and commas.
      std::string text;
      for (int i = 0; i < 64; ++i) {
        auto first = std::to_string(10000 + 10 * i);
        auto last = std::to_string(10009 + 10 * i);
        text += (i ? "," : "") + std::string("[fd00:213::1]:") + first + "-" + last + ":20000-20009/udp";
      }
      REQUIRE(text.size() > 256);
      REQUIRE(text.size() <= 4096);
      auto ports = hookwire::read_choices(with_ports(text)).ports;
      CHECK(ports.size() == 64);
      CHECK(host_ports(ports).size() == 640);
      std::string overlong = text + "," + std::string(4096 - text.size(), '1');
      REQUIRE(overlong.size() == 4097);
      CHECK_THROWS_WITH_AS(
          hookwire::read_choices(with_ports(overlong)),
          ("annotation io.hookwire.ports=\"" + overlong.substr(0, 64) + "...\": longer than 4096 bytes").c_str(),
          Error);
    }
  }

}  // TEST_SUITE
