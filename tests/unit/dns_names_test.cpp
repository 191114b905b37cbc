// The resolver's name table: what each network answers, kept one record at a time.
#include <doctest/doctest.h>

#include "dns/message.h"
#include "dns/names.h"

using namespace hookwire;
using namespace hookwire::dns;

namespace {

LedgerEntry record(const std::string& id, const std::string& bridge, const std::string& net, int host,
                   std::vector<std::string> names, std::string status = "wired") {
  LedgerEntry entry;
  entry.id = id;
  entry.status = std::move(status);
  entry.addresses = {{"10." + net + ".0." + std::to_string(host) + "/24", "p4"},
                     {"fd00:" + net + "::" + std::to_string(host) + "/64", "p6"},
                     {"192.0.2." + std::to_string(host) + "/24", ""}};  // outside the pools: not a name's
  entry.dns = {bridge,
               "hookwire",
               std::move(names),
               {"10." + net + ".0.1", "fd00:" + net + "::1"},
               {"10." + net + ".0.0/24", "fd00:" + net + "::/64"}};
  return entry;
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& address : addresses) out.push_back(address.str());
  return out;
}

}  // namespace

TEST_SUITE("dns-names") {
  TEST_CASE("names, bare and in the domain, A and AAAA, only on their own network") {
    NameTable table;
    table.set(record("c1", "br0", "81", 2, {"web", "www"}));
    table.set(record("c2", "br0", "81", 3, {"web"}));
    table.set(record("c3", "br1", "82", 2, {"secret"}));
    CHECK(table.containers() == 3);
    CHECK(*table.network_at(*IpAddress::parse("10.81.0.1")) == "br0");
    CHECK(*table.network_at(*IpAddress::parse("fd00:82::1")) == "br1");
    CHECK(table.network_at(*IpAddress::parse("10.83.0.1")) == nullptr);

    auto web = table.lookup("br0", "web", kTypeA);
    CHECK(web.kind == Lookup::Kind::answer);
    CHECK(texts(web.addresses) == std::vector<std::string>{"10.81.0.2", "10.81.0.3"});
    CHECK(texts(table.lookup("br0", "www.hookwire", kTypeAaaa).addresses) == std::vector<std::string>{"fd00:81::2"});
    // Another type of a known name: no data.
    auto mx = table.lookup("br0", "www", kTypeMx);
    CHECK(mx.kind == Lookup::Kind::answer);
    CHECK(mx.addresses.empty());
    CHECK(table.lookup("br0", "hookwire", kTypeA).kind == Lookup::Kind::answer);
    // Not there: NXDOMAIN in the domain, forwarded bare.
    CHECK(table.lookup("br0", "nope.hookwire", kTypeA).kind == Lookup::Kind::nxdomain);
    CHECK(table.lookup("br0", "nope", kTypeA).kind == Lookup::Kind::forward);
    CHECK(table.lookup("br0", "example.org", kTypeA).kind == Lookup::Kind::forward);
    // Isolation: another network's names are not known here.
    CHECK(table.lookup("br0", "secret.hookwire", kTypeA).kind == Lookup::Kind::nxdomain);
    CHECK(table.lookup("br0", "secret", kTypeA).kind == Lookup::Kind::forward);
    CHECK(table.lookup("br1", "secret", kTypeA).kind == Lookup::Kind::answer);
    CHECK(table.lookup("br9", "web", kTypeA).kind == Lookup::Kind::forward);
  }

  TEST_CASE("PTR for the containers' addresses; NXDOMAIN for free ones in the pools") {
    NameTable table;
    table.set(record("c1", "br0", "81", 2, {"web", "www"}));
    auto ptr = table.lookup("br0", "2.0.81.10.in-addr.arpa", kTypePtr);
    CHECK(ptr.kind == Lookup::Kind::answer);
    CHECK(ptr.targets == std::vector<std::string>{"web.hookwire"});
    auto v6 = *IpAddress::parse("fd00:81::2");
    auto name6 = reverse_name(std::span(v6.data(), 16));
    CHECK(table.lookup("br0", name6, kTypePtr).targets == std::vector<std::string>{"web.hookwire"});
    CHECK(table.lookup("br0", "9.0.81.10.in-addr.arpa", kTypePtr).kind == Lookup::Kind::nxdomain);
    CHECK(table.lookup("br0", "2.2.0.192.in-addr.arpa", kTypePtr).kind == Lookup::Kind::forward);
    CHECK(table.lookup("br0", "8.8.8.8.in-addr.arpa", kTypePtr).kind == Lookup::Kind::forward);
    CHECK(table.lookup("br0", "0.81.10.in-addr.arpa", kTypePtr).kind == Lookup::Kind::forward);  // partial
  }

  TEST_CASE("reverse names are read strictly") {
    CHECK(address_of_reverse_name("4.3.2.1.in-addr.arpa")->str() == "1.2.3.4");
    CHECK_FALSE(address_of_reverse_name("04.3.2.1.in-addr.arpa"));
    CHECK_FALSE(address_of_reverse_name("256.3.2.1.in-addr.arpa"));
    CHECK_FALSE(address_of_reverse_name("5.4.3.2.1.in-addr.arpa"));
    CHECK_FALSE(address_of_reverse_name(".3.2.1.in-addr.arpa"));
    CHECK_FALSE(address_of_reverse_name("web.hookwire"));
    auto v6 = *IpAddress::parse("2001:db8::567:89ab");
    CHECK(address_of_reverse_name(reverse_name(std::span(v6.data(), 16)))->str() == "2001:db8::567:89ab");
    CHECK_FALSE(address_of_reverse_name("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"));
  }

  TEST_CASE("a record changes one at a time; wiring records serve nothing; the last one leaves nothing") {
    NameTable table;
    table.set(record("c1", "br0", "81", 2, {"web"}, "wiring"));
    CHECK(table.empty());
    table.set(record("c1", "br0", "81", 2, {"web"}));
    table.set(record("c2", "br0", "81", 3, {"db"}));
    table.set(record("c1", "br0", "81", 2, {"web2"}));  // renamed
    CHECK(table.lookup("br0", "web", kTypeA).kind == Lookup::Kind::forward);
    CHECK(table.lookup("br0", "web2", kTypeA).kind == Lookup::Kind::answer);
    CHECK(table.remove("c1"));
    CHECK_FALSE(table.remove("c1"));
    CHECK(table.servers().size() == 2);
    CHECK(table.remove("c2"));
    CHECK(table.empty());
    CHECK(table.servers().empty());
    CHECK(table.network_at(*IpAddress::parse("10.81.0.1")) == nullptr);
    CHECK(table.lookup("br0", "db", kTypeA).kind == Lookup::Kind::forward);
  }

  TEST_CASE("clients are the pools' addresses") {
    NameTable table;
    table.set(record("c1", "br0", "81", 2, {"web"}));
    CHECK(table.is_client("br0", *IpAddress::parse("10.81.0.200")));
    CHECK(table.is_client("br0", *IpAddress::parse("fd00:81::77")));
    CHECK_FALSE(table.is_client("br0", *IpAddress::parse("10.82.0.2")));
    CHECK_FALSE(table.is_client("br0", *IpAddress::parse("192.0.2.2")));
    CHECK_FALSE(table.is_client("br1", *IpAddress::parse("10.81.0.200")));
  }
}
