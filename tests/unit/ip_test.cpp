#include <doctest/doctest.h>

#include <hookwire/ip.h>

using hookwire::Cidr;
using hookwire::Family;
using hookwire::IpAddress;
using hookwire::MacAddress;

TEST_SUITE("ip") {
  TEST_CASE("addresses parse in both families and print canonically") {
    auto v4 = IpAddress::parse("10.213.0.7");
    REQUIRE(v4);
    CHECK(v4->family() == Family::v4);
    CHECK(v4->str() == "10.213.0.7");
    auto v6 = IpAddress::parse("fd00:0213:0:0::1");
    REQUIRE(v6);
    CHECK(v6->family() == Family::v6);
    CHECK(v6->str() == "fd00:213::1");
    CHECK_FALSE(IpAddress::parse("10.213.0"));
    CHECK_FALSE(IpAddress::parse("10.213.0.256"));
    CHECK_FALSE(IpAddress::parse(""));
    CHECK_FALSE(IpAddress::parse("fd00::1/64"));
  }

  TEST_CASE("an address with a NUL byte is no address (inet_pton would stop at it)") {
    using namespace std::string_view_literals;
    CHECK_FALSE(hookwire::IpAddress::parse("10.0.0.1\0junk"sv));
    CHECK_FALSE(hookwire::IpAddress::parse("0.0.0.0\0"sv));
    CHECK_FALSE(hookwire::IpAddress::parse("::1\0:53"sv));
    CHECK_FALSE(hookwire::Cidr::parse("10.0.0.1\0x/24"sv));
    CHECK(hookwire::IpAddress::parse("10.0.0.1"sv));
  }

  TEST_CASE("CIDRs need an in-range prefix") {
    auto c = Cidr::parse("10.213.0.7/16");
    REQUIRE(c);
    CHECK(c->prefix == 16);
    CHECK(c->network().str() == "10.213.0.0/16");
    CHECK(c->contains(*IpAddress::parse("10.213.255.254")));
    CHECK_FALSE(c->contains(*IpAddress::parse("10.214.0.1")));
    CHECK_FALSE(c->contains(*IpAddress::parse("fd00::1")));
    CHECK(Cidr::parse("fd00:213::/64"));
    CHECK_FALSE(Cidr::parse("10.0.0.1/33"));
    CHECK_FALSE(Cidr::parse("fd00::1/129"));
    CHECK_FALSE(Cidr::parse("10.0.0.1"));
    CHECK_FALSE(Cidr::parse("10.0.0.1/"));
    CHECK_FALSE(Cidr::parse("10.0.0.1/-1"));
    CHECK_FALSE(Cidr::parse("10.0.0.1/1x"));
  }

  TEST_CASE("address arithmetic carries across bytes") {
    CHECK(IpAddress::parse("10.213.0.255")->plus(1).str() == "10.213.1.0");
    CHECK(IpAddress::parse("fd00::ffff")->plus(2).str() == "fd00::1:1");
    CHECK(IpAddress::parse("10.213.255.255")->host_bits_one(16));
    CHECK(IpAddress::parse("10.213.0.0")->host_bits_zero(16));
    CHECK_FALSE(IpAddress::parse("10.213.0.1")->host_bits_zero(16));
    CHECK(IpAddress::parse("224.0.0.1")->is_multicast());
    CHECK(IpAddress::parse("ff02::1")->is_multicast());
  }

  TEST_CASE("MACs parse, and unicast excludes multicast and zero") {
    auto mac = MacAddress::parse("02:42:AC:11:00:02");
    REQUIRE(mac);
    CHECK(mac->str() == "02:42:ac:11:00:02");
    CHECK(mac->is_unicast());
    CHECK_FALSE(MacAddress::parse("01:00:5e:00:00:01")->is_unicast());
    CHECK_FALSE(MacAddress::parse("ff:ff:ff:ff:ff:ff")->is_unicast());
    CHECK_FALSE(MacAddress::parse("00:00:00:00:00:00")->is_unicast());
    CHECK_FALSE(MacAddress::parse("02:42:ac:11:00"));
    CHECK_FALSE(MacAddress::parse("02:42:ac:11:00:0g"));
    CHECK_FALSE(MacAddress::parse("02.42.ac.11.00.02"));
  }

}  // TEST_SUITE
