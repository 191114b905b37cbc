// nftables elements over netlink (nft_elements.h), checked against what `nft -j`
// lists in the same throwaway netns, and run_nft's errors.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/namespaces.h>

#include "nft_elements.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <sys/wait.h>

#include "lab.h"

using namespace lab;
using hookwire::Error;
using hookwire::nft::commit;
using hookwire::nft::Element;
using hookwire::nft::list_elements;
using hookwire::nft::run_nft;
using hookwire::nft::table_exists;

namespace {

using Bytes = std::vector<std::uint8_t>;

const std::string kTable = "hookwire";

// The sets and maps of firewall.cpp's skeleton that these tests touch (no chains).
const char* const kSkeleton = R"(create table inet hookwire
table inet hookwire {
  set bridges { type ifname; }
  set members4 { type ipv4_addr . ifname; }
  set nat4 { type ipv4_addr; }
  set nat6 { type ipv6_addr; }
  map ports4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map wild4 { type inet_proto . inet_service : ipv4_addr . inet_service; }
}
)";

// The kernel's bytes for each type, as `nft --debug=netlink` shows them. (No doctest
// assertions here: the elements below are built before doctest runs.)
Bytes ipv4(const char* text) {
  Bytes bytes(4);
  if (inet_pton(AF_INET, text, bytes.data()) != 1) throw std::invalid_argument(text);
  return bytes;
}
Bytes ipv6(const char* text) {
  Bytes bytes(16);
  if (inet_pton(AF_INET6, text, bytes.data()) != 1) throw std::invalid_argument(text);
  return bytes;
}
Bytes ifname(const std::string& name) {
  Bytes bytes(16, 0);
  std::copy(name.begin(), name.end(), bytes.begin());
  return bytes;
}
Bytes proto(std::uint8_t number) {
  return {number, 0, 0, 0};
}
Bytes service(std::uint16_t port) {
  return {static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xff), 0, 0};
}
Bytes concat(std::initializer_list<Bytes> fields) {
  Bytes bytes;
  for (const auto& f : fields) bytes.insert(bytes.end(), f.begin(), f.end());
  return bytes;
}

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;

// A few elements of each shape.
const Element kBridge{"bridges", ifname("hookwire0"), {}};
const Element kMember{"members4", concat({ipv4("10.213.0.2"), ifname("hw1234")}), {}};
const Element kNatA{"nat4", ipv4("10.213.0.2"), {}};
const Element kNatB{"nat4", ipv4("10.213.0.3"), {}};
const Element kNatC{"nat4", ipv4("10.213.0.4"), {}};
const Element kNat6{"nat6", ipv6("fd00:213::2"), {}};
const Element kDns{"ports4", concat({ipv4("10.0.0.1"), proto(kUdp), service(53)}),
                   concat({ipv4("10.213.0.2"), service(5353)})};
const Element kWeb{"wild4", concat({proto(kTcp), service(8080)}), concat({ipv4("10.213.0.3"), service(80)})};
const Element kSsh{"wild4", concat({proto(kTcp), service(2222)}), concat({ipv4("10.213.0.4"), service(22)})};

// A throwaway netns that the test body runs in, with the skeleton loaded.
using lab::capture;

struct NftLab {
  ThrowawayNetns ns;
  hookwire::NetnsGuard inside{ns.fd()};
  NftLab() { run_nft(kSkeleton); }
};

// An element as nft -j prints it: "10.213.0.2 . hw1234", "tcp . 8080 : 10.213.0.3 . 80".
std::string render(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("concat")) {
    std::string text;
    for (const auto& field : j["concat"]) text += (text.empty() ? "" : " . ") + render(field);
    return text;
  }
  if (j.is_array() && j.size() == 2) return render(j[0]) + " : " + render(j[1]);
  return j.dump();
}

// The elements of set or map `name` in ns's table inet hookwire, as `nft -j` lists them, sorted.
std::vector<std::string> nft_view(const ThrowawayNetns& ns, const std::string& kind, const std::string& name) {
  json out = json::parse(capture("nsenter --net=" + ns.path() + " nft -j list " + kind + " inet hookwire " + name));
  std::vector<std::string> elements;
  for (const auto& item : out["nftables"])
    if (item.contains(kind))
      for (const auto& e : item[kind].value("elem", json::array())) elements.push_back(render(e));
  std::sort(elements.begin(), elements.end());
  return elements;
}

std::vector<Element> sorted(std::vector<Element> elements) {
  std::sort(elements.begin(), elements.end());
  return elements;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_SUITE("nft") {
  TEST_CASE("added set and map elements, concatenations included, are what nft lists") {
    NftLab lab;
    commit(kTable, {kBridge, kMember, kNatA, kNat6, kDns, kWeb}, {});
    CHECK(nft_view(lab.ns, "set", "bridges") == Strings{"hookwire0"});
    CHECK(nft_view(lab.ns, "set", "members4") == Strings{"10.213.0.2 . hw1234"});
    CHECK(nft_view(lab.ns, "set", "nat4") == Strings{"10.213.0.2"});
    CHECK(nft_view(lab.ns, "set", "nat6") == Strings{"fd00:213::2"});
    CHECK(nft_view(lab.ns, "map", "ports4") == Strings{"10.0.0.1 . udp . 53 : 10.213.0.2 . 5353"});
    CHECK(nft_view(lab.ns, "map", "wild4") == Strings{"tcp . 8080 : 10.213.0.3 . 80"});
  }

  TEST_CASE("list_elements returns each element's key and data bytes") {
    NftLab lab;
    commit(kTable, {kMember, kNatA, kNatB, kDns, kWeb, kSsh}, {});
    CHECK(list_elements(kTable, "members4") == std::vector<Element>{kMember});
    CHECK(sorted(list_elements(kTable, "nat4")) == sorted({kNatA, kNatB}));
    CHECK(list_elements(kTable, "ports4") == std::vector<Element>{kDns});
    CHECK(sorted(list_elements(kTable, "wild4")) == sorted({kWeb, kSsh}));
    CHECK(list_elements(kTable, "bridges").empty());
  }

  TEST_CASE("elements added by nft are listed with the bytes firewall.cpp builds") {
    NftLab lab;
    run_nft(
        "add element inet hookwire ports4 { 10.0.0.1 . udp . 53 : 10.213.0.2 . 5353 }\n"
        "add element inet hookwire members4 { 10.213.0.2 . \"hw1234\" }\n");
    CHECK(list_elements(kTable, "ports4") == std::vector<Element>{kDns});
    CHECK(list_elements(kTable, "members4") == std::vector<Element>{kMember});
  }

  TEST_CASE("re-adding an element that is there with the same data succeeds") {
    NftLab lab;
    commit(kTable, {kNatA, kDns}, {});
    CHECK_NOTHROW(commit(kTable, {kNatA, kDns}, {}));
    CHECK(nft_view(lab.ns, "set", "nat4") == Strings{"10.213.0.2"});
    CHECK(nft_view(lab.ns, "map", "ports4") == Strings{"10.0.0.1 . udp . 53 : 10.213.0.2 . 5353"});
  }

  TEST_CASE("adding a map key that is there with other data fails with EEXIST") {
    NftLab lab;
    commit(kTable, {kWeb}, {});
    Element moved = kWeb;
    moved.data = concat({ipv4("10.213.0.9"), service(80)});
    CHECK_THROWS_WITH_AS(commit(kTable, {moved}, {}), "nftables: add element to set wild4: File exists", Error);
    CHECK(nft_view(lab.ns, "map", "wild4") == Strings{"tcp . 8080 : 10.213.0.3 . 80"});
  }

  TEST_CASE("one commit can delete a map key and add it again with new data") {
    NftLab lab;
    commit(kTable, {kWeb}, {});
    Element moved = kWeb;
    moved.data = concat({ipv4("10.213.0.9"), service(80)});
    commit(kTable, {moved}, {kWeb});
    CHECK(nft_view(lab.ns, "map", "wild4") == Strings{"tcp . 8080 : 10.213.0.9 . 80"});
  }

  TEST_CASE("delete removes exactly the given elements") {
    NftLab lab;
    commit(kTable, {kNatA, kNatB, kNatC, kWeb, kSsh, kMember}, {});
    commit(kTable, {}, {kNatB, kSsh});
    CHECK(nft_view(lab.ns, "set", "nat4") == Strings{"10.213.0.2", "10.213.0.4"});
    CHECK(nft_view(lab.ns, "map", "wild4") == Strings{"tcp . 8080 : 10.213.0.3 . 80"});
    CHECK(nft_view(lab.ns, "set", "members4") == Strings{"10.213.0.2 . hw1234"});
  }

  TEST_CASE("a commit whose second request fails changes nothing") {
    NftLab lab;
    commit(kTable, {kNatA}, {});

    SUBCASE("an add to a missing set") {
      Element stray{"nosuchset", ipv4("10.213.0.9"), {}};
      CHECK_THROWS_WITH_AS(commit(kTable, {kNatB, kWeb, stray}, {kNatA}),
                           "nftables: add element to set nosuchset: No such file or directory", Error);
    }
    SUBCASE("a delete of an absent element") {
      CHECK_THROWS_WITH_AS(commit(kTable, {kNatB, kWeb}, {kDns}),
                           "nftables: delete element from set ports4: No such file or directory", Error);
    }
    SUBCASE("a key of the wrong length beside a good one in the same set") {
      Element short_key{"nat4", {10, 213, 0}, {}};
      try {
        commit(kTable, {kWeb, kNatB, short_key}, {kNatA});
        FAIL("the commit succeeded");
      } catch (const Error& e) {
        CHECK(std::string(e.what()).starts_with("nftables: add element to set nat4: "));
        CHECK(e.code().value() == EINVAL);
      }
    }
    CHECK(nft_view(lab.ns, "set", "nat4") == Strings{"10.213.0.2"});
    CHECK(nft_view(lab.ns, "map", "wild4").empty());
    CHECK(list_elements(kTable, "nat4") == std::vector<Element>{kNatA});
  }

  TEST_CASE("a commit to a missing table fails with ENOENT as a system error") {
    NftLab lab;
    try {
      commit("nosuchtable", {kNatA}, {});
      FAIL("the commit succeeded");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == "nftables: add element to set nat4: No such file or directory");
      CHECK(e.code().value() == ENOENT);
      CHECK(e.kind() == Error::Kind::system);
    }
  }

  TEST_CASE("an empty commit sends nothing, so even a missing table is no error") {
    NftLab lab;
    CHECK_NOTHROW(commit("nosuchtable", {}, {}));
  }

  TEST_CASE("list_elements of a missing set fails with ENOENT") {
    NftLab lab;
    CHECK_THROWS_WITH_AS(list_elements(kTable, "nosuchset"), "nftables: list set nosuchset: No such file or directory",
                         Error);
  }

  TEST_CASE("table_exists sees the table in this netns only") {
    {
      NftLab lab;
      CHECK(table_exists(kTable));
      CHECK_FALSE(table_exists("nosuchtable"));
      run_nft("delete table inet hookwire\n");
      CHECK_FALSE(table_exists(kTable));
    }
    ThrowawayNetns empty;
    hookwire::NetnsGuard inside(empty.fd());
    CHECK_FALSE(table_exists(kTable));
  }

  TEST_CASE("run_nft fails with nft's first error line") {
    NftLab lab;
    try {
      run_nft("add element inet hookwire nat4 { 10.213.0.2 }\ndelete table inet nosuchtable\n");
      FAIL("run_nft succeeded");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) ==
            "nft -f: /dev/stdin:2:19-29: Error: Could not process rule: No such file or directory");
      CHECK(e.kind() == Error::Kind::system);
    }
    // nft -f is one transaction too: the first line's element was not added.
    CHECK(nft_view(lab.ns, "set", "nat4").empty());
    CHECK_THROWS_WITH_AS(run_nft("this is not nft\n"),
                         doctest::Contains("nft -f: /dev/stdin:1:9-11: Error: syntax error"), Error);
  }
}
