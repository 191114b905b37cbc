#include "port_spec.h"

#include <hookwire/error.h>

#include <algorithm>
#include <string>

#include "json_util.h"

namespace hookwire {

std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::tcp:
      return "tcp";
    case Protocol::udp:
      return "udp";
    case Protocol::sctp:
      return "sctp";
  }
  return "unknown";  // only a value cast from outside the enum
}

std::optional<Protocol> parse_protocol(std::string_view text) {
  if (text == "tcp") return Protocol::tcp;
  if (text == "udp") return Protocol::udp;
  if (text == "sctp") return Protocol::sctp;
  return std::nullopt;
}

namespace {

struct Range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  std::size_t size() const { return std::size_t{last} - first + 1; }
};

// One entry being parsed, with what a refusal must name: the annotation's whole
// value and the entry, both quoted (they are the container creator's bytes).
class EntryParser {
 public:
  EntryParser(std::string_view text, std::string_view entry) : text_(text), entry_(entry) {}

  [[noreturn]] void refuse(const std::string& why) const {
    throw Error::input("annotation io.hookwire.ports=" + quote_for_message(text_) + ": entry " +
                       quote_for_message(entry_) + ": " + why);
  }

  PortSpec parse() const {
    if (entry_.empty()) refuse("empty entry");
    if (entry_.find_first_of(" \t\n\v\f\r") != std::string_view::npos) refuse("spaces are not allowed");
    PortSpec spec;
    std::string_view body = entry_;
    if (auto slash = body.find('/'); slash != std::string_view::npos) {
      auto name = body.substr(slash + 1);
      if (name.empty()) refuse("empty protocol after '/' (tcp, udp or sctp)");
      auto protocol = parse_protocol(name);
      if (!protocol) refuse("unknown protocol " + quote_for_message(name, 16) + " (tcp, udp or sctp)");
      spec.protocol = *protocol;
      body = body.substr(0, slash);
    }
    std::string_view ports = body;
    if (body.starts_with('[')) {
      auto close = body.find(']');
      if (close == std::string_view::npos) refuse("'[' without ']' around the host address");
      spec.host_address = parse_address(body.substr(1, close - 1), true);
      if (close + 1 >= body.size() || body[close + 1] != ':') refuse("expected ':' after the host address");
      ports = body.substr(close + 2);
    } else if (auto colons = count_colons(body); colons == 2) {
      auto colon = body.find(':');
      spec.host_address = parse_address(body.substr(0, colon), false);
      ports = body.substr(colon + 1);
    } else if (colons > 2) {
      // The address would be everything before the last two colons.
      auto last = body.rfind(':');
      auto address = body.substr(0, body.rfind(':', last - 1));
      auto ip = IpAddress::parse(address);
      if (ip && ip->family() == Family::v6) refuse("an IPv6 host address goes in brackets ([ADDRESS]:HOST:CONTAINER)");
      refuse("expected [HOST_ADDRESS:]HOST_PORT:CONTAINER_PORT[/PROTOCOL]");
    }
    auto colon = ports.find(':');
    if (colon == std::string_view::npos || ports.find(':', colon + 1) != std::string_view::npos)
      refuse("expected [HOST_ADDRESS:]HOST_PORT:CONTAINER_PORT[/PROTOCOL]");
    Range host = parse_range(ports.substr(0, colon), "host");
    Range container = parse_range(ports.substr(colon + 1), "container");
    if (host.size() != container.size())
      refuse("the host range has " + std::to_string(host.size()) + " ports, the container range " +
             std::to_string(container.size()));
    spec.host_first = host.first;
    spec.host_last = host.last;
    spec.container_first = container.first;
    spec.container_last = container.last;
    return spec;
  }

 private:
  static std::size_t count_colons(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) n += c == ':';
    return n;
  }

  IpAddress parse_address(std::string_view text, bool bracketed) const {
    // IpAddress::parse hands the text to inet_pton, which stops at a NUL byte:
    // "0.0.0.0\0junk" would pass (a ports_fuzzer find). Only address bytes go in.
    bool address_bytes = text.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
    auto ip = address_bytes ? IpAddress::parse(text) : std::nullopt;
    if (!ip) refuse("the host address is not an IPv4 address or an IPv6 address in brackets");
    if (bracketed && ip->family() != Family::v6) refuse("brackets are only for an IPv6 host address");
    if (!bracketed && ip->family() != Family::v4) refuse("an IPv6 host address goes in brackets");
    return *ip;
  }

  // FIRST or FIRST-LAST; `side` is "host" or "container", for messages.
  Range parse_range(std::string_view text, const char* side) const {
    Range range;
    auto dash = text.find('-', 1);  // a '-' in front is a sign, refused by parse_port
    range.first = parse_port(text.substr(0, dash), side);
    range.last = dash == std::string_view::npos ? range.first : parse_port(text.substr(dash + 1), side);
    if (range.last < range.first)
      refuse(std::string(side) + " range " + std::to_string(range.first) + "-" + std::to_string(range.last) +
             " is reversed");
    return range;
  }

  // A decimal number in 1-65535: digits alone, no sign, no leading zero.
  std::uint16_t parse_port(std::string_view text, const char* side) const {
    std::string what = std::string(side) + " port";
    if (text.empty()) refuse("missing " + what);
    if (text[0] == '+' || text[0] == '-') refuse(what + " has a sign");
    std::uint32_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') refuse(what + " is not a decimal number");
      // Saturates above 65535, so that no length of digits overflows.
      if (value <= 65535) value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value == 0) refuse(what + " 0 is not a port (1-65535)");
    if (text[0] == '0') refuse(what + " has a leading zero");
    if (value > 65535) refuse(what + " is above 65535");
    return static_cast<std::uint16_t>(value);
  }

  std::string_view text_;
  std::string_view entry_;
};

}  // namespace

std::vector<PortSpec> parse_ports(std::string_view text) {
  std::vector<PortSpec> specs;
  std::vector<std::string_view> entries;
  std::size_t total = 0;
  std::string_view rest = text;
  while (true) {
    auto comma = rest.find(',');
    auto entry = rest.substr(0, comma);
    EntryParser parser(text, entry);
    if (entries.size() == kMaxPortEntries) parser.refuse("more than " + std::to_string(kMaxPortEntries) + " entries");
    PortSpec spec = parser.parse();
    // A host port is leased whole, whatever address it is published on.
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const PortSpec& other = specs[i];
      if (other.protocol == spec.protocol && other.host_first <= spec.host_last && spec.host_first <= other.host_last) {
        auto port = std::max(spec.host_first, other.host_first);
        parser.refuse("duplicate host port " + std::to_string(port) + "/" + std::string(protocol_name(spec.protocol)) +
                      " (also in entry " + quote_for_message(entries[i]) + ")");
      }
    }
    total += spec.host_last - spec.host_first + 1;
    if (total > kMaxPublishedPorts) parser.refuse("more than " + std::to_string(kMaxPublishedPorts) + " ports in all");
    specs.push_back(spec);
    entries.push_back(entry);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return specs;
}

std::vector<HostPort> host_ports(const std::vector<PortSpec>& specs) {
  std::vector<HostPort> ports;
  for (const PortSpec& spec : specs)
    for (std::uint32_t port = spec.host_first; port <= spec.host_last; ++port)
      ports.push_back({spec.protocol, static_cast<std::uint16_t>(port)});
  return ports;
}

}  // namespace hookwire
