// The resolver's messages (lib/src/dns/message.h): queries taken apart, hostile
// ones turned away before ldns reads them, responses read back with ldns.
#include <hookwire/error.h>

#include "dns/message.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ldns/ldns.h>

using namespace hookwire;
using namespace hookwire::dns;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct PktFree {
  void operator()(ldns_pkt* pkt) const noexcept { ldns_pkt_free(pkt); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

constexpr std::uint8_t kRdFlag = 0x01;

void put16(Bytes& wire, std::uint16_t value) {
  wire.push_back(static_cast<std::uint8_t>(value >> 8));
  wire.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void append(Bytes& wire, const Bytes& more) {
  wire.insert(wire.end(), more.begin(), more.end());
}

// A header: id, the flags' first byte (QR, opcode, AA, TC, RD) and the four counts.
Bytes header(std::uint16_t id, std::uint8_t flags, std::uint16_t qd = 1, std::uint16_t an = 0, std::uint16_t ns = 0,
             std::uint16_t ar = 0) {
  Bytes wire;
  put16(wire, id);
  wire.push_back(flags);
  wire.push_back(0);
  for (std::uint16_t count : {qd, an, ns, ar}) put16(wire, count);
  return wire;
}

// Labels as length-prefixed bytes, the root's zero last.
Bytes wire_name(std::initializer_list<std::string_view> labels) {
  Bytes wire;
  for (std::string_view label : labels) {
    wire.push_back(static_cast<std::uint8_t>(label.size()));
    wire.insert(wire.end(), label.begin(), label.end());
  }
  wire.push_back(0);
  return wire;
}

// A dotted name without escapes.
Bytes wire_name(std::string_view dotted) {
  Bytes wire;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    wire.push_back(static_cast<std::uint8_t>(label.size()));
    wire.insert(wire.end(), label.begin(), label.end());
    dotted.remove_prefix(dot == std::string_view::npos ? dotted.size() : dot + 1);
  }
  wire.push_back(0);
  return wire;
}

Bytes question(const Bytes& name, std::uint16_t type, std::uint16_t klass = kClassIn) {
  Bytes wire = name;
  put16(wire, type);
  put16(wire, klass);
  return wire;
}

// An OPT record: root owner, the payload size as class, the EDNS version in the TTL.
Bytes opt(std::uint16_t udp_size, std::uint8_t version = 0) {
  Bytes wire{0};
  put16(wire, kTypeOpt);
  put16(wire, udp_size);
  append(wire, Bytes{0, version, 0, 0});
  put16(wire, 0);
  return wire;
}

// An A record of 10.0.0.1 with a TTL of 60.
Bytes a_record(const Bytes& owner) {
  Bytes wire = question(owner, kTypeA);
  append(wire, Bytes{0, 0, 0, 60, 0, 4, 10, 0, 0, 1});
  return wire;
}

// A query with RD set, hand-built.
Bytes hand_query(const Bytes& name, std::uint16_t type, std::uint16_t id = 0x1234) {
  Bytes wire = header(id, kRdFlag);
  append(wire, question(name, type));
  return wire;
}

// A query written by ldns itself.
Bytes ldns_query(const char* name, ldns_rr_type type, std::uint16_t id, bool edns, std::uint16_t udp_size = 0) {
  ldns_rdf* qname = ldns_dname_new_frm_str(name);
  REQUIRE(qname != nullptr);
  PktPtr pkt(ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN, LDNS_RD));
  REQUIRE(pkt != nullptr);
  ldns_pkt_set_id(pkt.get(), id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(pkt.get(), udp_size);
    pkt->_edns_present = true;  // a size of 0 would else mean "no OPT"
  }
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&data, pkt.get(), &size) == LDNS_STATUS_OK);
  Bytes wire(data, data + size);
  std::free(data);
  return wire;
}

PktPtr read_back(const Bytes& wire) {
  ldns_pkt* pkt = nullptr;
  REQUIRE(ldns_wire2pkt(&pkt, wire.data(), wire.size()) == LDNS_STATUS_OK);
  return PktPtr(pkt);
}

std::string text(const ldns_rdf* rdf) {
  char* printed = ldns_rdf2str(rdf);
  REQUIRE(printed != nullptr);
  std::string out = printed;
  std::free(printed);
  return out;
}

Parsed parse(const Bytes& wire) {
  return parse_query(wire);
}

void check_form_error(const Bytes& wire) {
  Parsed parsed = parse(wire);
  CHECK(parsed.verdict == Verdict::error);
  CHECK(parsed.rcode == kFormErr);
}

Query a_query(std::string name = "web.hookwire", std::uint16_t type = kTypeA) {
  Query query;
  query.id = 0xbeef;
  query.rd = true;
  query.question = {std::move(name), type, kClassIn};
  return query;
}

Record aaaa(std::uint8_t last) {
  Record record{kTypeAaaa, "web.hookwire", Bytes(16, 0), {}, 30};
  record.data[0] = 0xfd;
  record.data[15] = last;
  return record;
}

Bytes build(const Query& query, int rcode, bool authoritative, const std::vector<Record>& answers,
            std::size_t max_size) {
  Bytes out;
  build_response(query, rcode, authoritative, answers, max_size, out);
  return out;
}

}  // namespace

TEST_SUITE("dns-message") {
  TEST_CASE("queries written by ldns parse to their id, RD, name, type and class") {
    SUBCASE("A") {
      Parsed parsed = parse(ldns_query("web.hookwire.", LDNS_RR_TYPE_A, 0x4242, false));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.id == 0x4242);
      CHECK(parsed.query.rd);
      CHECK_FALSE(parsed.query.edns);
      CHECK(parsed.query.udp_size == 512);
      CHECK(parsed.query.question.name == "web.hookwire");
      CHECK(parsed.query.question.type == kTypeA);
      CHECK(parsed.query.question.klass == kClassIn);
    }
    SUBCASE("AAAA") {
      Parsed parsed = parse(ldns_query("db.net1.hookwire.", LDNS_RR_TYPE_AAAA, 7, false));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "db.net1.hookwire");
      CHECK(parsed.query.question.type == kTypeAaaa);
    }
    SUBCASE("PTR") {
      Parsed parsed = parse(ldns_query("4.3.2.1.in-addr.arpa.", LDNS_RR_TYPE_PTR, 8, false));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "4.3.2.1.in-addr.arpa");
      CHECK(parsed.query.question.type == kTypePtr);
    }
    SUBCASE("ANY") {
      Parsed parsed = parse(ldns_query("web.hookwire.", LDNS_RR_TYPE_ANY, 9, false));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.type == kTypeAny);
    }
  }

  TEST_CASE("a hand-written query parses, RD clear and a class other than IN kept") {
    Bytes wire = header(0x0001, 0);
    append(wire, question(wire_name("web.hookwire"), kTypeA, 3));
    Parsed parsed = parse(wire);
    REQUIRE(parsed.verdict == Verdict::answer);
    CHECK(parsed.query.id == 1);
    CHECK_FALSE(parsed.query.rd);
    CHECK(parsed.query.question.klass == 3);
  }

  TEST_CASE("question names are lowercased: WeB.HookWire is web.hookwire") {
    Parsed parsed = parse(hand_query(wire_name("WeB.HookWire"), kTypeA));
    REQUIRE(parsed.verdict == Verdict::answer);
    CHECK(parsed.query.question.name == "web.hookwire");
  }

  TEST_CASE("the root is the empty name") {
    Parsed parsed = parse(hand_query(wire_name(""), kTypeA));
    REQUIRE(parsed.verdict == Verdict::answer);
    CHECK(parsed.query.question.name.empty());
  }

  TEST_CASE("names with other bytes stay escaped as ldns prints them") {
    using namespace std::string_view_literals;
    SUBCASE("a dot inside a label") {
      Parsed parsed = parse(hand_query(wire_name({"A.b", "hookwire"}), kTypeA));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "a\\.b.hookwire");
    }
    SUBCASE("a zero byte, a space and a byte over 127, case folded around them") {
      Parsed parsed = parse(hand_query(wire_name({"X\0Y \xc3"sv, "Hookwire"}), kTypeA));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "x\\000y\\032\\195.hookwire");
    }
    SUBCASE("a backslash last in a label") {
      Parsed parsed = parse(hand_query(wire_name({"a\\"}), kTypeA));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "a\\\\");
    }
    SUBCASE("underscores and hyphens are plain") {
      Parsed parsed = parse(hand_query(wire_name("_srv._tcp.my-web.hookwire"), kTypeA));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name == "_srv._tcp.my-web.hookwire");
    }
  }

  TEST_CASE("EDNS: the OPT's payload size is read and clamped to [512, 4096]") {
    auto edns_query = [](std::uint16_t udp_size) {
      Bytes wire = header(5, kRdFlag, 1, 0, 0, 1);
      append(wire, question(wire_name("web.hookwire"), kTypeA));
      append(wire, opt(udp_size));
      return parse(wire);
    };
    const std::vector<std::pair<int, int>> sizes{{1232, 1232}, {100, 512},   {0, 512},
                                                 {512, 512},   {4096, 4096}, {65000, 4096}};
    for (auto [asked, clamped] : sizes) {
      CAPTURE(asked);
      Parsed parsed = edns_query(static_cast<std::uint16_t>(asked));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.edns);
      CHECK(parsed.query.udp_size == clamped);
    }
    SUBCASE("as ldns writes it") {
      Parsed parsed = parse(ldns_query("web.hookwire.", LDNS_RR_TYPE_AAAA, 6, true, 1400));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.edns);
      CHECK(parsed.query.udp_size == 1400);
    }
  }

  TEST_CASE("the one additional record must be an EDNS0 OPT") {
    Bytes base = header(5, 0, 1, 0, 0, 1);
    append(base, question(wire_name("web.hookwire"), kTypeA));
    SUBCASE("version 1") {
      Bytes wire = base;
      append(wire, opt(1232, 1));
      check_form_error(wire);
    }
    SUBCASE("an A record") {
      Bytes wire = base;
      append(wire, a_record(wire_name("x")));
      check_form_error(wire);
    }
    SUBCASE("an A record owned by the root, as an OPT is") {
      Bytes wire = base;
      append(wire, a_record(wire_name("")));
      check_form_error(wire);
    }
    SUBCASE("an OPT whose owner is a pointer to the question") {
      Bytes wire = base;
      wire.push_back(0xc0);
      wire.push_back(12);
      Bytes rest = opt(1232);
      wire.insert(wire.end(), rest.begin() + 1, rest.end());
      check_form_error(wire);
    }
    SUBCASE("an OPT owned by a name other than the root (ldns takes it)") {
      Bytes wire = base;
      append(wire, Bytes{1, 'x'});
      append(wire, opt(1232));
      check_form_error(wire);
    }
    SUBCASE("an OPT cut short") {
      Bytes wire = base;
      append(wire, opt(1232));
      wire.resize(wire.size() - 3);
      check_form_error(wire);
    }
    SUBCASE("an OPT whose options run past the end (ldns refuses it)") {
      Bytes wire = base;
      append(wire, opt(1232));
      wire[wire.size() - 1] = 40;
      check_form_error(wire);
    }
    SUBCASE("none announced, none there") {
      Bytes wire = header(5, 0);
      append(wire, question(wire_name("web.hookwire"), kTypeA));
      Parsed parsed = parse(wire);
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK_FALSE(parsed.query.edns);
    }
  }

  TEST_CASE("messages that are not queries are dropped, never answered") {
    Bytes good = hand_query(wire_name("web.hookwire"), kTypeA);
    SUBCASE("shorter than a header") {
      for (std::size_t size = 0; size < 12; ++size) {
        CAPTURE(size);
        CHECK(parse_query(std::span(good.data(), size)).verdict == Verdict::drop);
      }
    }
    SUBCASE("a response (QR=1), even with an opcode we do not implement") {
      good[2] |= 0x80;
      CHECK(parse(good).verdict == Verdict::drop);
      good[2] |= 0x10;
      CHECK(parse(good).verdict == Verdict::drop);
    }
    SUBCASE("longer than 65535 bytes") {
      good.resize(70000);
      CHECK(parse(good).verdict == Verdict::drop);
      good.resize(65535);
      CHECK(parse(good).verdict == Verdict::answer);  // trailing bytes are ignored, as ldns does
    }
  }

  TEST_CASE("opcodes other than QUERY are not implemented") {
    for (std::uint8_t opcode : {1, 2, 4, 5, 15}) {
      CAPTURE(opcode);
      Bytes wire = hand_query(wire_name("web.hookwire"), kTypeA);
      wire[2] = static_cast<std::uint8_t>(opcode << 3 | kRdFlag);
      Parsed parsed = parse(wire);
      CHECK(parsed.verdict == Verdict::error);
      CHECK(parsed.rcode == kNotImp);
    }
  }

  TEST_CASE("section counts other than one question and at most one OPT are format errors") {
    const std::vector<std::array<std::uint16_t, 4>> counts{{0, 0, 0, 0}, {2, 0, 0, 0}, {1, 1, 0, 0},
                                                           {1, 0, 1, 0}, {1, 0, 0, 2}, {65535, 0, 0, 0}};
    for (auto [qd, an, ns, ar] : counts) {
      CAPTURE(qd);
      CAPTURE(an);
      CAPTURE(ns);
      CAPTURE(ar);
      // Well-formed records, so that ldns alone would accept most of these.
      Bytes wire = header(1, 0, qd, an, ns, ar);
      append(wire, question(wire_name("web.hookwire"), kTypeA));
      append(wire, a_record(wire_name("web.hookwire")));
      append(wire, a_record(wire_name("db.hookwire")));
      check_form_error(wire);
    }
  }

  TEST_CASE("hostile question names are format errors before ldns reads them") {
    SUBCASE("a compression pointer to itself (ldns would follow it 65535 times)") {
      Bytes wire = header(1, 0);
      append(wire, Bytes{0xc0, 12, 0, 1, 0, 1});
      check_form_error(wire);
    }
    SUBCASE("a pointer after a label, to that label") {
      Bytes wire = header(1, 0);
      append(wire, Bytes{3, 'w', 'e', 'b', 0xc0, 12, 0, 1, 0, 1});
      check_form_error(wire);
    }
    SUBCASE("a pointer to a well-formed name later in the message, which ldns would accept") {
      Bytes wire = header(1, 0);
      append(wire, Bytes{0xc0, 18, 0, 1, 0, 1});
      append(wire, wire_name("web.hookwire"));
      wire.resize(300);  // room for 0xc0 read as a 192-byte label, and a zero after it
      check_form_error(wire);
    }
    SUBCASE("the reserved label types 01 and 10") {
      for (std::uint8_t type : {0x40, 0x80}) {
        Bytes wire = header(1, 0);
        append(wire, Bytes{type, 'a', 0, 0, 1, 0, 1});
        check_form_error(wire);
      }
    }
    SUBCASE("a label past the end") {
      Bytes wire = header(1, 0);
      append(wire, Bytes{20, 'w', 'e', 'b'});
      check_form_error(wire);
    }
    SUBCASE("no root label") {
      Bytes wire = header(1, 0);
      append(wire, Bytes{3, 'w', 'e', 'b'});
      check_form_error(wire);
    }
    SUBCASE("no type and class") {
      Bytes wire = header(1, 0);
      append(wire, wire_name("web"));
      wire.push_back(0);
      check_form_error(wire);
    }
    SUBCASE("names of 255 bytes pass, of 256 and 300 do not") {
      std::string l63(63, 'a');
      std::string l61(61, 'b');
      std::string l62(62, 'c');
      Bytes longest = wire_name({l63, l63, l63, l61});  // 3 * 64 + 62 + 1 = 255 bytes
      REQUIRE(longest.size() == 255);
      Parsed parsed = parse(hand_query(longest, kTypeA));
      REQUIRE(parsed.verdict == Verdict::answer);
      CHECK(parsed.query.question.name.size() == 253);
      check_form_error(hand_query(wire_name({l63, l63, l63, l62}), kTypeA));
      std::string l59(59, 'd');
      Bytes three_hundred = wire_name({l59, l59, l59, l59, l59});  // 5 * 60 + 1 bytes
      REQUIRE(three_hundred.size() == 301);
      check_form_error(hand_query(three_hundred, kTypeA));
    }
    SUBCASE("a label of 64 bytes") {
      std::string l64(64, 'a');
      check_form_error(hand_query(wire_name({l64}), kTypeA));
    }
  }

  TEST_CASE("a response carries id, RD, QR, RA, AA, rcode, the question and the answers") {
    Query query = a_query();
    std::vector<Record> answers{{kTypeA, "web.hookwire", {10, 213, 0, 2}, {}, 30},
                                {kTypeA, "web.hookwire", {10, 213, 0, 3}, {}, 60}};
    PktPtr pkt = read_back(build(query, kNoError, true, answers, 512));
    CHECK(ldns_pkt_id(pkt.get()) == 0xbeef);
    CHECK(ldns_pkt_qr(pkt.get()));
    CHECK(ldns_pkt_aa(pkt.get()));
    CHECK_FALSE(ldns_pkt_tc(pkt.get()));
    CHECK(ldns_pkt_rd(pkt.get()));
    CHECK(ldns_pkt_ra(pkt.get()));
    CHECK(ldns_pkt_get_opcode(pkt.get()) == LDNS_PACKET_QUERY);
    CHECK(ldns_pkt_get_rcode(pkt.get()) == LDNS_RCODE_NOERROR);
    CHECK_FALSE(ldns_pkt_edns(pkt.get()));

    REQUIRE(ldns_pkt_qdcount(pkt.get()) == 1);
    const ldns_rr* echoed = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
    CHECK(text(ldns_rr_owner(echoed)) == "web.hookwire.");
    CHECK(ldns_rr_get_type(echoed) == LDNS_RR_TYPE_A);
    CHECK(ldns_rr_get_class(echoed) == LDNS_RR_CLASS_IN);

    REQUIRE(ldns_pkt_ancount(pkt.get()) == 2);
    const ldns_rr* first = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
    const ldns_rr* second = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 1);
    CHECK(text(ldns_rr_owner(first)) == "web.hookwire.");
    CHECK(ldns_rr_get_type(first) == LDNS_RR_TYPE_A);
    CHECK(ldns_rr_get_class(first) == LDNS_RR_CLASS_IN);
    CHECK(ldns_rr_ttl(first) == 30);
    CHECK(text(ldns_rr_rdf(first, 0)) == "10.213.0.2");
    CHECK(ldns_rr_ttl(second) == 60);
    CHECK(text(ldns_rr_rdf(second, 0)) == "10.213.0.3");
  }

  TEST_CASE("AAAA and PTR answers read back") {
    SUBCASE("AAAA") {
      PktPtr pkt = read_back(build(a_query("web.hookwire", kTypeAaaa), kNoError, true, {aaaa(2)}, 512));
      REQUIRE(ldns_pkt_ancount(pkt.get()) == 1);
      const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
      CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA);
      CHECK(text(ldns_rr_rdf(rr, 0)) == "fd00::2");
    }
    SUBCASE("PTR") {
      Record ptr{kTypePtr, "2.0.213.10.in-addr.arpa", {}, "web.hookwire", 5};
      PktPtr pkt = read_back(build(a_query("2.0.213.10.in-addr.arpa", kTypePtr), kNoError, true, {ptr}, 512));
      REQUIRE(ldns_pkt_ancount(pkt.get()) == 1);
      const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
      CHECK(text(ldns_rr_owner(rr)) == "2.0.213.10.in-addr.arpa.");
      CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_PTR);
      CHECK(ldns_rr_ttl(rr) == 5);
      CHECK(text(ldns_rr_rdf(rr, 0)) == "web.hookwire.");
    }
  }

  TEST_CASE("an error response has no answers, AA as asked, and the rcode") {
    Query query = a_query();
    query.rd = false;
    PktPtr pkt = read_back(build(query, kNxDomain, false, {}, 512));
    CHECK(ldns_pkt_get_rcode(pkt.get()) == LDNS_RCODE_NXDOMAIN);
    CHECK_FALSE(ldns_pkt_aa(pkt.get()));
    CHECK_FALSE(ldns_pkt_rd(pkt.get()));
    CHECK(ldns_pkt_ra(pkt.get()));
    CHECK(ldns_pkt_ancount(pkt.get()) == 0);
    CHECK(ldns_pkt_qdcount(pkt.get()) == 1);
  }

  TEST_CASE("build_response replaces what `out` held") {
    Bytes out(5000, 0xff);
    build_response(a_query(), kNoError, true, {}, 512, out);
    CHECK(out.size() < 100);
    Bytes again = build(a_query(), kNoError, true, {}, 512);
    CHECK(out == again);
  }

  TEST_CASE("the question is echoed byte for byte, lowercased, escapes included") {
    using namespace std::string_view_literals;
    Bytes asked = hand_query(wire_name({"Web\0.\\"sv, "HOOKWIRE"}), kTypeA);
    Parsed parsed = parse(asked);
    REQUIRE(parsed.verdict == Verdict::answer);
    Bytes response = build(parsed.query, kNoError, true, {}, 512);
    Bytes expected = question(wire_name({"web\0.\\"sv, "hookwire"}), kTypeA);
    REQUIRE(response.size() == 12 + expected.size());
    CHECK(Bytes(response.begin() + 12, response.end()) == expected);
  }

  TEST_CASE("a response too long for the client goes without its answers, with TC") {
    std::vector<Record> answers;
    for (int i = 0; i < 40; ++i) answers.push_back(aaaa(static_cast<std::uint8_t>(i)));
    Query query = a_query("web.hookwire", kTypeAaaa);

    SUBCASE("UDP without EDNS: 512 bytes") {
      Bytes wire = build(query, kNoError, true, answers, 512);
      CHECK(wire.size() <= 512);
      PktPtr pkt = read_back(wire);
      CHECK(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 0);
      CHECK(ldns_pkt_qdcount(pkt.get()) == 1);
      CHECK(ldns_pkt_id(pkt.get()) == 0xbeef);
    }
    SUBCASE("with EDNS the OPT stays") {
      query.edns = true;
      query.udp_size = 512;
      PktPtr pkt = read_back(build(query, kNoError, true, answers, query.udp_size));
      CHECK(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 0);
      CHECK(ldns_pkt_edns(pkt.get()));
    }
    SUBCASE("a larger payload size takes them all") {
      Bytes wire = build(query, kNoError, true, answers, 4096);
      CHECK(wire.size() > 512);
      PktPtr pkt = read_back(wire);
      CHECK_FALSE(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 40);
    }
    SUBCASE("names are compressed only when the plain form does not fit, and exactly as long as allowed fits") {
      Bytes plain = build(query, kNoError, true, answers, 65535);
      Bytes compressed = build(query, kNoError, true, answers, plain.size() - 1);
      CHECK(compressed.size() < plain.size() - 40 * 10);  // each owner a 2-byte pointer, not 14 bytes
      PktPtr pkt = read_back(compressed);
      CHECK_FALSE(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 40);
      CHECK(build(query, kNoError, true, answers, plain.size()) == plain);
      CHECK(build(query, kNoError, true, answers, compressed.size()) == compressed);
      CHECK(ldns_pkt_tc(read_back(build(query, kNoError, true, answers, compressed.size() - 1)).get()));
    }
    SUBCASE("TCP: more than 65535 bytes") {
      answers.resize(5000, aaaa(1));
      PktPtr pkt = read_back(build(query, kNoError, true, answers, 65535));
      CHECK(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 0);
    }
    SUBCASE("more answers than a count can hold") {
      answers.resize(70000, aaaa(1));
      PktPtr pkt = read_back(build(query, kNoError, true, answers, 65535));
      CHECK(ldns_pkt_tc(pkt.get()));
      CHECK(ldns_pkt_ancount(pkt.get()) == 0);
    }
  }

  TEST_CASE("EDNS: an OPT advertising 1232 bytes answers a query with one, none a query without") {
    Query query = a_query();
    query.edns = true;
    query.udp_size = 4096;
    PktPtr with = read_back(build(query, kNoError, true, {}, 4096));
    CHECK(ldns_pkt_edns(with.get()));
    CHECK(ldns_pkt_edns_udp_size(with.get()) == 1232);
    CHECK(ldns_pkt_edns_version(with.get()) == 0);
    CHECK_FALSE(ldns_pkt_edns_do(with.get()));
    CHECK(ldns_pkt_arcount(with.get()) == 0);  // ldns counts the OPT apart

    query.edns = false;
    Bytes without = build(query, kNoError, true, {}, 512);
    CHECK(without[10] == 0);
    CHECK(without[11] == 0);
  }

  TEST_CASE("a parsed query's response parses as the answer to it") {
    Parsed parsed = parse(ldns_query("Db.HookWire.", LDNS_RR_TYPE_A, 0x7777, true, 1232));
    REQUIRE(parsed.verdict == Verdict::answer);
    Record a{kTypeA, parsed.query.question.name, {10, 0, 0, 9}, {}, 10};
    PktPtr pkt = read_back(build(parsed.query, kNoError, true, {a}, parsed.query.udp_size));
    CHECK(ldns_pkt_id(pkt.get()) == 0x7777);
    CHECK(ldns_pkt_edns(pkt.get()));
    REQUIRE(ldns_pkt_ancount(pkt.get()) == 1);
    CHECK(text(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0))) == "db.hookwire.");
  }

  TEST_CASE("records that cannot be written are refused") {
    auto refused = [](Record record) { CHECK_THROWS_AS(build(a_query(), kNoError, true, {record}, 512), Error); };
    refused({kTypeA, "web.hookwire", {10, 0, 0}, {}, 1});
    refused({kTypeAaaa, "web.hookwire", {10, 0, 0, 1}, {}, 1});
    refused({kTypeMx, "web.hookwire", {}, {}, 1});
    refused({kTypeA, "web..hookwire", {10, 0, 0, 1}, {}, 1});
    refused({kTypePtr, "1.0.0.10.in-addr.arpa", {}, std::string(300, 'a'), 1});
    CHECK_THROWS_WITH_AS(build(a_query(), kNoError, true, {{kTypeA, "web", {1}, {}, 1}}, 512),
                         "dns answer `web` (type 1): wrong address length", Error);
  }

  TEST_CASE("error_response copies id, opcode, RD and the question, and sets QR, RA and the rcode") {
    Bytes query = hand_query(wire_name("WeB.hookwire"), kTypeAaaa, 0xabcd);
    SUBCASE("a query") {
      Bytes wire = error_response(query, kServFail);
      REQUIRE(wire.size() == query.size());
      CHECK(wire[0] == 0xab);
      CHECK(wire[1] == 0xcd);
      CHECK(wire[2] == (0x80 | kRdFlag));
      CHECK(wire[3] == (0x80 | kServFail));
      CHECK(Bytes(wire.begin() + 4, wire.begin() + 12) == Bytes{0, 1, 0, 0, 0, 0, 0, 0});
      CHECK(Bytes(wire.begin() + 12, wire.end()) == Bytes(query.begin() + 12, query.end()));
      PktPtr pkt = read_back(wire);
      CHECK(ldns_pkt_get_rcode(pkt.get()) == LDNS_RCODE_SERVFAIL);
      CHECK(text(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0))) == "WeB.hookwire.");
    }
    SUBCASE("an opcode it does not implement, AA, TC, AD and CD cleared") {
      query[2] = 0x2 << 3 | 0x04 | 0x02;
      query[3] = 0x30;
      Bytes wire = error_response(query, kNotImp);
      CHECK(wire[2] == (0x80 | 0x2 << 3));
      CHECK(wire[3] == (0x80 | kNotImp));
    }
    SUBCASE("the OPT and anything after the question are not copied") {
      query[11] = 1;
      append(query, opt(1232));
      Bytes wire = error_response(query, kFormErr);
      CHECK(wire.size() == query.size() - 11);
      CHECK(wire[11] == 0);
    }
    SUBCASE("a question with a pointer is left out") {
      Bytes hostile = header(9, 0);
      append(hostile, Bytes{0xc0, 12, 0, 1, 0, 1});
      Bytes wire = error_response(hostile, kFormErr);
      REQUIRE(wire.size() == 12);
      CHECK(wire[5] == 0);
      CHECK(wire[3] == (0x80 | kFormErr));
    }
    SUBCASE("two questions: none copied") {
      query[5] = 2;
      Bytes wire = error_response(query, kFormErr);
      CHECK(wire.size() == 12);
      CHECK(wire[5] == 0);
    }
    SUBCASE("a question cut short: none copied") {
      query.pop_back();
      CHECK(error_response(query, kFormErr).size() == 12);
    }
    SUBCASE("a name over 255 bytes: none copied") {
      std::string l63(63, 'a');
      Bytes too_long = hand_query(wire_name({l63, l63, l63, std::string(62, 'c')}), kTypeA);
      CHECK(error_response(too_long, kFormErr).size() == 12);
      Bytes longest = hand_query(wire_name({l63, l63, l63, std::string(61, 'c')}), kTypeA);
      CHECK(error_response(longest, kFormErr).size() == longest.size());
    }
    SUBCASE("a bare header") {
      Bytes wire = error_response(header(3, 0, 5, 5, 5, 5), kFormErr);
      CHECK(wire == Bytes{0, 3, 0x80, 0x80 | kFormErr, 0, 0, 0, 0, 0, 0, 0, 0});
    }
    SUBCASE("nothing for a response or less than a header") {
      query[2] |= 0x80;
      CHECK(error_response(query, kFormErr).empty());
      CHECK(error_response(std::span(query.data(), 11), kFormErr).empty());
      CHECK(error_response({}, kFormErr).empty());
    }
  }

  TEST_CASE("reverse names of IPv4 and IPv6 addresses") {
    CHECK(reverse_name(Bytes{1, 2, 3, 4}) == "4.3.2.1.in-addr.arpa");
    CHECK(reverse_name(Bytes{10, 213, 0, 255}) == "255.0.213.10.in-addr.arpa");
    Bytes v6(16, 0);
    v6[0] = 0xfd;
    v6[1] = 0x00;
    v6[2] = 0x02;
    v6[3] = 0x13;
    v6[15] = 0x2a;
    CHECK(reverse_name(v6) == "a.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.1.2.0.0.0.d.f.ip6.arpa");
    CHECK(reverse_name(Bytes{}).empty());
    CHECK(reverse_name(Bytes{1, 2, 3}).empty());
    CHECK(reverse_name(Bytes(5, 1)).empty());
  }

  TEST_CASE("container name labels: 1-63 of [A-Za-z0-9-], no '-' at either end") {
    CHECK(is_valid_label("web"));
    CHECK(is_valid_label("Web-1"));
    CHECK(is_valid_label("1"));
    CHECK(is_valid_label(std::string(63, 'a')));
    CHECK_FALSE(is_valid_label(std::string(64, 'a')));
    CHECK_FALSE(is_valid_label(""));
    CHECK_FALSE(is_valid_label("-web"));
    CHECK_FALSE(is_valid_label("web-"));
    CHECK_FALSE(is_valid_label("we.b"));
    CHECK_FALSE(is_valid_label("we_b"));
    CHECK_FALSE(is_valid_label("wéb"));
    CHECK_FALSE(is_valid_label(std::string_view("we\0b", 4)));
  }

  TEST_CASE("host names: valid labels joined by dots, 253 bytes at most") {
    CHECK(is_valid_hostname("web"));
    CHECK(is_valid_hostname("web.net1.hookwire"));
    CHECK_FALSE(is_valid_hostname(""));
    CHECK_FALSE(is_valid_hostname("."));
    CHECK_FALSE(is_valid_hostname("web."));
    CHECK_FALSE(is_valid_hostname(".web"));
    CHECK_FALSE(is_valid_hostname("web..hookwire"));
    CHECK_FALSE(is_valid_hostname("web.-net"));
    std::string l63(63, 'a');
    std::string longest = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
    REQUIRE(longest.size() == 253);
    CHECK(is_valid_hostname(longest));
    CHECK_FALSE(is_valid_hostname(longest + "b"));
    CHECK_FALSE(is_valid_hostname(l63 + "a.web"));
  }
}
