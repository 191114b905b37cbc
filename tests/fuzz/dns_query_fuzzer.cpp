// parse_query on anything, and what the resolver then writes back. Every
// datagram a container sends to hookwire-dns reaches parse_query first: it must
// drop exactly the responses and the runts, refuse anything but one plain
// question (and an EDNS0 OPT), and name the question as ldns does. Whatever it
// accepts, build_response answers with a message that ldns reads back as the
// answer to it, within the client's size; whatever it refuses, error_response
// answers with a message ldns reads back with the same id and rcode.
#include "dns/message.h"
#include "fuzz_check.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <ldns/ldns.h>

using namespace hookwire;
using namespace hookwire::dns;
using hookwire::fuzz::expect;

namespace {

struct PktFree {
  void operator()(ldns_pkt* pkt) const noexcept { ldns_pkt_free(pkt); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

PktPtr read_back(const std::vector<std::uint8_t>& wire, const char* promise) {
  ldns_pkt* pkt = nullptr;
  expect(ldns_wire2pkt(&pkt, wire.data(), wire.size()) == LDNS_STATUS_OK, promise);
  return PktPtr(pkt);
}

// The question name as ldns prints it, lowercased, without the final dot: what
// parse_query promises, computed here the slow way.
std::string ldns_name(const ldns_rdf* owner) {
  ldns_rdf* lowered = ldns_rdf_clone(owner);
  std::uint8_t* bytes = ldns_rdf_data(lowered);
  for (std::size_t i = 0; i < ldns_rdf_size(lowered); ++i)
    if (bytes[i] >= 'A' && bytes[i] <= 'Z') bytes[i] = static_cast<std::uint8_t>(bytes[i] - 'A' + 'a');
  char* text = ldns_rdf2str(lowered);
  ldns_rdf_deep_free(lowered);
  std::string name = text ? text : "?";
  std::free(text);
  if (name.ends_with('.')) name.pop_back();
  return name;
}

std::uint16_t u16(std::span<const std::uint8_t> wire, std::size_t pos) {
  return static_cast<std::uint16_t>(wire[pos] << 8 | wire[pos + 1]);
}

void check_error(std::span<const std::uint8_t> wire, int rcode) {
  expect(rcode == kFormErr || rcode == kNotImp, "an error is FORMERR or NOTIMP");
  expect(rcode == kNotImp || (wire[2] & 0x78) == 0, "NOTIMP exactly for opcodes other than QUERY");
  std::vector<std::uint8_t> response = error_response(wire, rcode);
  expect(response.size() >= 12 && response.size() <= wire.size(), "an error response is a header and a question");
  PktPtr pkt = read_back(response, "ldns reads the error response");
  expect(ldns_pkt_id(pkt.get()) == u16(wire, 0), "the error response has the query's id");
  expect(ldns_pkt_qr(pkt.get()) && ldns_pkt_ra(pkt.get()), "the error response has QR and RA");
  expect(ldns_pkt_get_rcode(pkt.get()) == rcode, "the error response has the rcode");
  expect(ldns_pkt_qdcount(pkt.get()) <= 1 && ldns_pkt_ancount(pkt.get()) == 0 && ldns_pkt_nscount(pkt.get()) == 0 &&
             ldns_pkt_arcount(pkt.get()) == 0 && !ldns_pkt_edns(pkt.get()),
         "the error response has at most the question");
}

void check_answer(std::span<const std::uint8_t> wire, const Query& query, std::uint8_t answer_count) {
  // What ldns alone makes of the message.
  ldns_pkt* raw = nullptr;
  expect(ldns_wire2pkt(&raw, wire.data(), wire.size()) == LDNS_STATUS_OK, "ldns reads an accepted query");
  PktPtr asked(raw);
  expect(!ldns_pkt_qr(asked.get()) && ldns_pkt_get_opcode(asked.get()) == LDNS_PACKET_QUERY, "a QUERY query");
  expect(ldns_pkt_qdcount(asked.get()) == 1 && ldns_pkt_ancount(asked.get()) == 0 &&
             ldns_pkt_nscount(asked.get()) == 0 && ldns_pkt_arcount(asked.get()) == 0,
         "one question, nothing else but an OPT");
  expect(query.edns == ldns_pkt_edns(asked.get()), "EDNS exactly when there is an OPT");
  expect(!query.edns || ldns_pkt_edns_version(asked.get()) == 0, "EDNS version 0");
  expect(query.udp_size >= 512 && query.udp_size <= 4096, "the payload size is clamped");
  expect(query.id == ldns_pkt_id(asked.get()) && query.rd == ldns_pkt_rd(asked.get()), "id and RD as ldns reads them");
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(asked.get()), 0);
  // Written out, not compressed: ldns's copy of the name is the bytes after the header.
  const ldns_rdf* owner = ldns_rr_owner(question);
  expect(wire.size() >= 12 + ldns_rdf_size(owner) &&
             std::equal(wire.begin() + 12, wire.begin() + 12 + ldns_rdf_size(owner), ldns_rdf_data(owner)),
         "an accepted question name has no compression pointer");
  expect(query.question.type == ldns_rr_get_type(question), "the question's type");
  expect(query.question.klass == ldns_rr_get_class(question), "the question's class");
  expect(query.question.name == ldns_name(owner), "the name as ldns prints it, lowercased", query.question.name);
  for (char c : query.question.name) expect(c < 'A' || c > 'Z', "a lowercase name", query.question.name);

  // The answer to it: one of each kind hookwire writes, or many AAAA.
  std::vector<Record> answers;
  const std::string& name = query.question.name;
  if (answer_count < 3) {
    answers.push_back({kTypeA, name, {10, 213, 0, 2}, {}, 5});
    answers.push_back({kTypeAaaa, name, std::vector<std::uint8_t>(16, 0xfd), {}, 5});
    answers.push_back({kTypePtr, name, {}, name, 5});
    answers.resize(answer_count);
  } else {
    answers.assign(answer_count, Record{kTypeAaaa, name, std::vector<std::uint8_t>(16, 0xfd), {}, 5});
  }
  std::vector<std::uint8_t> response;
  try {
    build_response(query, kNoError, true, answers, query.udp_size, response);
  } catch (const std::exception& e) {
    fuzz::violated("build_response takes a parsed query's name", e.what());
  }
  expect(response.size() <= query.udp_size, "the response fits the client's size");
  PktPtr pkt = read_back(response, "ldns reads the response");
  expect(ldns_pkt_id(pkt.get()) == query.id && ldns_pkt_rd(pkt.get()) == query.rd, "id and RD copied");
  expect(ldns_pkt_qr(pkt.get()) && ldns_pkt_ra(pkt.get()) && ldns_pkt_aa(pkt.get()), "QR, RA and AA set");
  expect(ldns_pkt_edns(pkt.get()) == query.edns, "an OPT exactly for an OPT");
  expect(ldns_pkt_qdcount(pkt.get()) == 1, "the question echoed");
  const ldns_rr* echoed = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
  expect(ldns_dname_compare(ldns_rr_owner(echoed), ldns_rr_owner(question)) == 0, "the same name echoed",
         query.question.name);
  expect(ldns_rr_get_type(echoed) == query.question.type, "the same type echoed");
  const std::size_t count = ldns_pkt_ancount(pkt.get());
  expect(ldns_pkt_tc(pkt.get()) ? count == 0 : count == answers.size(), "all answers, or none and TC");
  for (std::size_t i = 0; i < count; ++i)
    expect(
        ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), i)), ldns_rr_owner(question)) == 0,
        "answers owned by the question's name", query.question.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> wire(data, size);
  Parsed parsed = parse_query(wire);
  const bool runt_or_response = size < 12 || size > 65535 || (data[2] & 0x80) != 0;
  expect((parsed.verdict == Verdict::drop) == runt_or_response, "drops exactly the runts and the responses");
  if (runt_or_response) {
    expect(error_response(wire, kFormErr).empty() == (size < 12 || (data[2] & 0x80) != 0),
           "no error response to a runt or a response");
    return 0;
  }
  if (parsed.verdict == Verdict::error) {
    check_error(wire, parsed.rcode);
  } else {
    // The answers' count comes from the last byte, which a query rarely needs.
    check_answer(wire, parsed.query, static_cast<std::uint8_t>(data[size - 1] % 64));
  }
  return 0;
}
