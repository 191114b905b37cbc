// The resolver's DNS messages (hookwire-dns): the one query it takes apart and
// the responses it puts together. ldns does the parsing and the writing; a
// hand-written gate on the raw header and question turns hostile messages away
// before ldns sees them. Internal: ldns types never appear here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hookwire::dns {

/// Record types (RFC 1035, 3596, 6891).
inline constexpr std::uint16_t kTypeA = 1, kTypeNs = 2, kTypeCname = 5, kTypeSoa = 6, kTypePtr = 12, kTypeMx = 15,
                               kTypeTxt = 16, kTypeAaaa = 28, kTypeSrv = 33, kTypeOpt = 41, kTypeAny = 255;
/// The Internet class.
inline constexpr std::uint16_t kClassIn = 1;
/// Response codes (RFC 1035 4.1.1).
inline constexpr int kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4, kRefused = 5;
/// The EDNS payload size hookwire-dns advertises (the DNS flag day 2020 value).
inline constexpr std::uint16_t kOwnUdpSize = 1232;
/// The bounds a client's EDNS payload size is clamped to.
inline constexpr std::uint16_t kMinUdpSize = 512, kMaxUdpSize = 4096;
/// The longest message there is (TCP's length prefix is 16 bits).
inline constexpr std::size_t kMaxMessageSize = 65535;

struct Question {
  std::string name;  // lowercase presentation form without the final dot ("web.hookwire"; the root is "")
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct Query {
  std::uint16_t id = 0;
  bool rd = false;
  bool edns = false;
  std::uint16_t udp_size = kMinUdpSize;  // the EDNS payload size clamped to [512, 4096]; 512 without EDNS
  Question question;
};

/// What to do with a message: answer it, ignore it, or send error_response().
enum class Verdict { answer, drop, error };

struct Parsed {
  Verdict verdict = Verdict::drop;
  int rcode = 0;  // for Verdict::error: kFormErr or kNotImp
  Query query;    // for Verdict::answer
};

/// Takes apart a message that claims to be a query. Never throws on any input.
/// Dropped: shorter than a header, a response (QR=1: answering one could start a
/// reflection loop), longer than 65535 bytes. kNotImp: an opcode other than
/// QUERY. kFormErr: not exactly one question and at most one additional record,
/// that one an EDNS0 OPT of version 0; a question name with a compression
/// pointer, a reserved label type, a label past the end or over 255 bytes
/// (all checked by hand before ldns reads a byte); anything ldns refuses.
Parsed parse_query(std::span<const std::uint8_t> wire);

struct Record {
  std::uint16_t type = 0;          // kTypeA, kTypeAaaa or kTypePtr
  std::string name;                // owner, presentation form, no final dot
  std::vector<std::uint8_t> data;  // A: 4 bytes, AAAA: 16 bytes; PTR: empty, see `target`
  std::string target;              // PTR: the name pointed to, presentation form, no final dot
  std::uint32_t ttl = 0;
};

/// Writes the response to `query` into `out` (cleared first; its capacity is
/// reused): id and RD copied, QR, RA, AA when `authoritative`, `rcode`, the
/// question echoed (its class as asked; IN when 0), `answers` (class IN), and an
/// OPT advertising kOwnUdpSize when the query had one. Names are compressed only
/// when the response would not fit in `max_size` (the client's udp_size over UDP,
/// kMaxMessageSize over TCP) without; one that does not fit even so goes without
/// its answers, with TC set. Throws Error::input for a record that cannot be
/// written (another type, data of the wrong length, a name that is not one).
void build_response(const Query& query, int rcode, bool authoritative, const std::vector<Record>& answers,
                    std::size_t max_size, std::vector<std::uint8_t>& out);

/// A bare error response made from the raw message alone, for a message
/// parse_query() refused or a query whose forwarding failed: id, opcode and RD
/// copied, QR and RA set, `rcode`, and the question copied back byte for byte
/// when there is exactly one and it has no compression pointer (else none).
/// Empty for a message shorter than a header or a response: never answer those.
std::vector<std::uint8_t> error_response(std::span<const std::uint8_t> wire, int rcode);

/// The reverse name of an address, in network order: "4.3.2.1.in-addr.arpa" for
/// 1.2.3.4 (4 bytes), 32 nibbles then "ip6.arpa" for 16 bytes; "" for any other length.
std::string reverse_name(std::span<const std::uint8_t> address);

/// Whether `label` may be a container's name: 1-63 of [A-Za-z0-9-], not
/// starting or ending with '-' (RFC 1123).
bool is_valid_label(std::string_view label);

/// Whether `name` is a host name: valid labels joined by single dots, 253 bytes
/// at most, no leading or trailing dot.
bool is_valid_hostname(std::string_view name);

}  // namespace hookwire::dns
