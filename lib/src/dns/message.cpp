#include "dns/message.h"

#include <hookwire/error.h>

#include "dns_name.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>

#include <ldns/ldns.h>

namespace hookwire::dns {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PktPtr = std::unique_ptr<ldns_pkt, Deleter<ldns_pkt_free>>;
using RrPtr = std::unique_ptr<ldns_rr, Deleter<ldns_rr_free>>;
using RdfPtr = std::unique_ptr<ldns_rdf, Deleter<ldns_rdf_deep_free>>;
using BufferPtr = std::unique_ptr<ldns_buffer, Deleter<ldns_buffer_free>>;
void free_string(char* text) {
  std::free(text);
}
using CStringPtr = std::unique_ptr<char, Deleter<free_string>>;

constexpr std::size_t kHeaderSize = 12;
// A name's wire form, its length bytes and the root's zero included (RFC 1035 3.1).
constexpr std::size_t kMaxNameSize = 255;
// The fixed part of an OPT record after its root owner: type, class, TTL, RDLENGTH.
constexpr std::size_t kOptSize = 1 + 2 + 2 + 4 + 2;
// The smallest record: a compression pointer for its owner, type, class, TTL, RDLENGTH.
constexpr std::size_t kMinRecordSize = 2 + 2 + 2 + 4 + 2;

constexpr std::uint8_t kQr = 0x80, kOpcodeMask = 0x78, kRd = 0x01, kRa = 0x80, kRcodeMask = 0x0f;
constexpr std::uint8_t kLabelTypeMask = 0xc0;  // 00: a label; 11: a pointer; 01 and 10: reserved (RFC 6891 5)

std::uint16_t read_u16(std::span<const std::uint8_t> wire, std::size_t pos) {
  return static_cast<std::uint16_t>(wire[pos] << 8 | wire[pos + 1]);
}

// The end of the name at `pos` when it is uncompressed, made of plain labels, lies
// inside `wire` and is at most 255 bytes long. At most 255 steps, whatever the input:
// ldns follows up to 65535 pointers (LDNS_MAX_POINTERS), ~145 us for a self-loop.
std::optional<std::size_t> skip_name(std::span<const std::uint8_t> wire, std::size_t pos) {
  const std::size_t start = pos;
  for (;;) {
    if (pos >= wire.size()) return std::nullopt;
    const std::uint8_t length = wire[pos];
    if ((length & kLabelTypeMask) != 0) return std::nullopt;
    pos += 1 + std::size_t{length};
    if (pos > wire.size() || pos - start > kMaxNameSize) return std::nullopt;
    if (length == 0) return pos;
  }
}

// The end of the question section of a message with QDCOUNT 1, when skip_name() accepts its name.
std::optional<std::size_t> skip_question(std::span<const std::uint8_t> wire) {
  auto end = skip_name(wire, kHeaderSize);
  if (!end || *end + 4 > wire.size()) return std::nullopt;
  return *end + 4;
}

char lower(std::uint8_t c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// The bytes ldns prints as themselves, and that make up the names hookwire serves.
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// `dname` lowercased (ASCII), in presentation form without the final dot. Plain
// names are spelled here; any other goes through ldns's printer, which escapes
// ".;()\" with a backslash and bytes that are not graphic ASCII as \DDD.
std::optional<std::string> presentation(const ldns_rdf* dname) {
  const std::uint8_t* data = ldns_rdf_data(dname);
  const std::size_t size = ldns_rdf_size(dname);
  std::string name;
  name.reserve(size);
  bool plain = true;
  for (std::size_t pos = 0; pos < size && data[pos] != 0; pos += 1 + std::size_t{data[pos]}) {
    if (pos + 1 + data[pos] > size) return std::nullopt;
    if (pos != 0) name += '.';
    for (std::size_t i = pos + 1; i <= pos + data[pos]; ++i) {
      name += lower(data[i]);
      plain = plain && is_plain(name.back());
    }
  }
  if (plain) return name;

  RdfPtr lowered(ldns_rdf_clone(dname));
  if (!lowered) throw std::bad_alloc();
  // Length bytes are at most 63, below 'A': lowercasing every byte leaves them alone.
  std::uint8_t* bytes = ldns_rdf_data(lowered.get());
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(lower(bytes[i]));
  CStringPtr text(ldns_rdf2str(lowered.get()));
  if (!text) return std::nullopt;
  name = text.get();
  if (name.ends_with('.')) name.pop_back();  // ldns ends every name with a dot, the root (".") too
  return name;
}

// A name in presentation form as ldns's wire form; nullptr when it is not a name.
RdfPtr dname(const std::string& name) {
  if (name.find('\0') != std::string::npos) return nullptr;
  return RdfPtr(ldns_dname_new_frm_str(name.empty() ? "." : name.c_str()));
}

void push_rdf(ldns_rr* rr, RdfPtr rdf) {
  if (!ldns_rr_push_rdf(rr, rdf.get())) throw std::bad_alloc();
  rdf.release();  // the record owns it now
}

void push_rr(ldns_pkt* pkt, ldns_pkt_section section, RrPtr rr) {
  if (!ldns_pkt_push_rr(pkt, section, rr.get())) throw std::bad_alloc();
  rr.release();  // the packet owns it now
}

RrPtr answer_rr(const Record& record) {
  auto fail = [&](const char* why) {
    return Error::input("dns answer `" + record.name.substr(0, 255) + "` (type " + std::to_string(record.type) +
                        "): " + why);
  };
  RdfPtr owner = dname(record.name);
  if (!owner) throw fail("not a name");
  RdfPtr rdata;
  switch (record.type) {
    case kTypeA:
    case kTypeAaaa: {
      const std::size_t size = record.type == kTypeA ? 4 : 16;
      if (record.data.size() != size) throw fail("wrong address length");
      rdata.reset(ldns_rdf_new_frm_data(record.type == kTypeA ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, size,
                                        record.data.data()));
      if (!rdata) throw std::bad_alloc();
      break;
    }
    case kTypePtr:
      rdata = dname(record.target);
      if (!rdata) throw fail("the target is not a name");
      break;
    default:
      throw fail("not a type hookwire-dns writes");
  }
  RrPtr rr(ldns_rr_new());
  if (!rr) throw std::bad_alloc();
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), static_cast<ldns_rr_type>(record.type));
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr.get(), record.ttl);
  push_rdf(rr.get(), std::move(rdata));
  return rr;
}

// The buffer every response is written into: ldns_pkt2wire would malloc 64 KiB
// per call. It grows to the largest response written and stays so.
ldns_buffer* scratch_buffer() {
  thread_local BufferPtr buffer(ldns_buffer_new(4096));
  if (!buffer) throw std::bad_alloc();
  return buffer.get();
}

// The response as ldns's packet.
PktPtr response_packet(const Query& query, int rcode, bool authoritative, std::span<const Record> answers,
                       bool truncated) {
  PktPtr pkt(ldns_pkt_new());
  if (!pkt) throw std::bad_alloc();
  ldns_pkt_set_id(pkt.get(), query.id);
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_pkt_set_opcode(pkt.get(), LDNS_PACKET_QUERY);
  ldns_pkt_set_aa(pkt.get(), authoritative);
  ldns_pkt_set_tc(pkt.get(), truncated);
  ldns_pkt_set_rd(pkt.get(), query.rd);
  ldns_pkt_set_ra(pkt.get(), true);
  ldns_pkt_set_rcode(pkt.get(), static_cast<std::uint8_t>(rcode & kRcodeMask));

  RdfPtr qname = dname(query.question.name);
  if (!qname) throw Error::input("dns question `" + query.question.name.substr(0, 255) + "`: not a name");
  RrPtr question(ldns_rr_new());
  if (!question) throw std::bad_alloc();
  ldns_rr_set_question(question.get(), true);
  ldns_rr_set_owner(question.get(), qname.release());
  ldns_rr_set_type(question.get(), static_cast<ldns_rr_type>(query.question.type));
  ldns_rr_set_class(question.get(), static_cast<ldns_rr_class>(query.question.klass ? query.question.klass : kClassIn));
  push_rr(pkt.get(), LDNS_SECTION_QUESTION, std::move(question));

  for (const Record& record : answers) push_rr(pkt.get(), LDNS_SECTION_ANSWER, answer_rr(record));
  // Version 0, no options, DO clear: ldns writes the OPT itself when a size is set.
  if (query.edns) ldns_pkt_set_edns_udp_size(pkt.get(), kOwnUdpSize);
  return pkt;
}

// Writes `pkt` into `buffer` (from its start); its size. Compression saves 12-odd
// bytes a record but costs ~0.8 us (ldns mallocs a tree node and three names per
// label), so it is used only when the plain form does not fit.
std::size_t write_packet(const ldns_pkt* pkt, bool compress, ldns_buffer* buffer) {
  ldns_buffer_clear(buffer);
  const ldns_status status =
      compress ? ldns_pkt2buffer_wire(buffer, pkt) : ldns_pkt2buffer_wire_compress(buffer, pkt, nullptr);
  if (status != LDNS_STATUS_OK || !ldns_buffer_status_ok(buffer)) throw std::bad_alloc();
  return ldns_buffer_position(buffer);
}

}  // namespace

Parsed parse_query(std::span<const std::uint8_t> wire) {
  Parsed parsed;
  if (wire.size() < kHeaderSize || wire.size() > kMaxMessageSize || (wire[2] & kQr) != 0) return parsed;
  auto error = [&parsed](int rcode) {
    parsed.verdict = Verdict::error;
    parsed.rcode = rcode;
    return parsed;
  };
  if ((wire[2] & kOpcodeMask) != 0) return error(kNotImp);
  const std::uint16_t arcount = read_u16(wire, 10);
  if (read_u16(wire, 4) != 1 || read_u16(wire, 6) != 0 || read_u16(wire, 8) != 0 || arcount > 1) return error(kFormErr);
  auto question_end = skip_question(wire);
  if (!question_end) return error(kFormErr);
  if (arcount == 1) {
    // The one additional record must be an OPT, whose owner is the root (RFC 6891
    // 6.1.2): a single zero byte, so no pointer reaches ldns there either.
    const std::size_t opt = *question_end;
    if (opt + kOptSize > wire.size() || wire[opt] != 0 || read_u16(wire, opt + 1) != kTypeOpt ||
        wire[opt + 6] != 0)  // the EDNS version (RFC 6891 6.1.3)
      return error(kFormErr);
  }

  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
  PktPtr pkt(raw);
  if (status != LDNS_STATUS_OK || !pkt) return error(kFormErr);
  const ldns_rr_list* questions = ldns_pkt_question(pkt.get());
  if (ldns_rr_list_rr_count(questions) != 1) return error(kFormErr);
  const ldns_rr* question = ldns_rr_list_rr(questions, 0);
  auto name = presentation(ldns_rr_owner(question));
  if (!name) return error(kFormErr);

  parsed.verdict = Verdict::answer;
  Query& query = parsed.query;
  query.id = ldns_pkt_id(pkt.get());
  query.rd = ldns_pkt_rd(pkt.get());
  query.edns = arcount == 1;
  query.udp_size = query.edns ? std::clamp(ldns_pkt_edns_udp_size(pkt.get()), kMinUdpSize, kMaxUdpSize) : kMinUdpSize;
  query.question.name = std::move(*name);
  query.question.type = static_cast<std::uint16_t>(ldns_rr_get_type(question));
  query.question.klass = static_cast<std::uint16_t>(ldns_rr_get_class(question));
  return parsed;
}

void build_response(const Query& query, int rcode, bool authoritative, const std::vector<Record>& answers,
                    std::size_t max_size, std::vector<std::uint8_t>& out) {
  out.clear();
  ldns_buffer* buffer = scratch_buffer();
  max_size = std::min(max_size, kMaxMessageSize);
  std::size_t size = max_size + 1;
  // Answers that cannot fit are not even made into records (nor can their count wrap).
  if (kHeaderSize + answers.size() * kMinRecordSize <= max_size) {
    PktPtr pkt = response_packet(query, rcode, authoritative, answers, false);
    size = write_packet(pkt.get(), false, buffer);
    if (size > max_size) size = write_packet(pkt.get(), true, buffer);
  }
  if (size > max_size) {
    PktPtr pkt = response_packet(query, rcode, authoritative, {}, true);
    size = write_packet(pkt.get(), false, buffer);
  }
  const std::uint8_t* begin = ldns_buffer_begin(buffer);
  out.assign(begin, begin + size);
}

std::vector<std::uint8_t> error_response(std::span<const std::uint8_t> wire, int rcode) {
  if (wire.size() < kHeaderSize || (wire[2] & kQr) != 0) return {};
  std::optional<std::size_t> question_end;
  if (read_u16(wire, 4) == 1) question_end = skip_question(wire);
  std::vector<std::uint8_t> out(wire.begin(),
                                wire.begin() + static_cast<std::ptrdiff_t>(question_end.value_or(kHeaderSize)));
  out[2] = static_cast<std::uint8_t>(kQr | (wire[2] & (kOpcodeMask | kRd)));  // AA and TC clear
  out[3] = static_cast<std::uint8_t>(kRa | (rcode & kRcodeMask));             // Z, AD and CD clear
  std::fill(out.begin() + 4, out.begin() + kHeaderSize, 0);
  out[5] = question_end ? 1 : 0;
  return out;
}

std::string reverse_name(std::span<const std::uint8_t> address) {
  std::string name;
  if (address.size() == 4) {
    for (auto byte = address.rbegin(); byte != address.rend(); ++byte) name += std::to_string(*byte) + '.';
    return name + "in-addr.arpa";
  }
  if (address.size() == 16) {
    constexpr std::string_view kHex = "0123456789abcdef";
    name.reserve(32 * 2 + 8);
    for (auto byte = address.rbegin(); byte != address.rend(); ++byte) {
      name += kHex[*byte & 0x0f];
      name += '.';
      name += kHex[*byte >> 4];
      name += '.';
    }
    return name + "ip6.arpa";
  }
  return name;
}

bool is_valid_label(std::string_view label) {
  return is_valid_dns_label(label);
}

bool is_valid_hostname(std::string_view name) {
  return is_valid_dns_name(name);
}

}  // namespace hookwire::dns
