#include "annotations.h"

#include <algorithm>

#include <hookwire/error.h>
#include <hookwire/profile.h>

#include "dns_name.h"
#include "json_util.h"

namespace hookwire {

namespace {

constexpr std::size_t kMaxValueBytes = 256;
// io.hookwire.ports lists up to kMaxPortEntries entries of up to some 64 bytes each
// ("[fd00:213::1]:10000-10099:20000-20099/sctp" is 43).
constexpr std::size_t kMaxPortsBytes = 4096;
constexpr std::string_view kPrefix = "io.hookwire.";

// `key` is always one of the known keys here, so it can be written as is; the value
// is whatever the container's creator chose, so it is quoted and cut short.
[[noreturn]] void refuse(std::string_view key, const std::string& value, const std::string& why) {
  throw Error::input("annotation " + std::string(key) + "=" + quote_for_message(value) + ": " + why);
}

bool is_known(std::string_view key) {
  return key == kAnnotationNetwork || key == kAnnotationIp || key == kAnnotationIp6 || key == kAnnotationMac ||
         key == kAnnotationDisable || key == kAnnotationPorts || key == kAnnotationAliases;
}

// "web,db-1": host name labels, separated by commas, no spaces, no duplicates.
std::vector<std::string> parse_aliases(std::string_view key, const std::string& value) {
  std::vector<std::string> aliases;
  std::string_view rest = value;
  for (;;) {
    auto comma = rest.find(',');
    auto alias = rest.substr(0, comma);
    if (!is_valid_dns_label(alias))
      refuse(key, value, "not a list of host name labels (1-63 of a-z, 0-9 and '-', separated by commas)");
    auto lower = lowercase_name(alias);
    if (std::find(aliases.begin(), aliases.end(), lower) != aliases.end())
      refuse(key, value, "alias " + lower + " is listed twice");
    aliases.push_back(std::move(lower));
    if (aliases.size() > kMaxAliases) refuse(key, value, "more than " + std::to_string(kMaxAliases) + " aliases");
    if (comma == std::string_view::npos) return aliases;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

Choices read_choices(const State& state) {
  Choices choices;
  for (const auto& [key, value] : state.annotations) {
    if (!key.starts_with(kPrefix)) continue;
    // An unknown key is refused before anything else, quoted: it may hold any byte.
    if (!is_known(key))
      throw Error::input("annotation " + quote_for_message(key) +
                         ": unknown io.hookwire annotation (known: "
                         "io.hookwire.network, .ip, .ip6, .mac, .disable, .ports, .aliases)");
    auto max_bytes = key == kAnnotationPorts ? kMaxPortsBytes : kMaxValueBytes;
    if (value.size() > max_bytes) refuse(key, value, "longer than " + std::to_string(max_bytes) + " bytes");
    if (key == kAnnotationNetwork) {
      if (!is_valid_profile_name(value)) refuse(key, value, "not a profile name ([a-z0-9][a-z0-9_.-]{0,63})");
      choices.network = value;
    } else if (key == kAnnotationIp) {
      auto ip = IpAddress::parse(value);
      if (!ip || ip->family() != Family::v4) refuse(key, value, "not an IPv4 address");
      choices.ip = ip;
    } else if (key == kAnnotationIp6) {
      auto ip = IpAddress::parse(value);
      if (!ip || ip->family() != Family::v6) refuse(key, value, "not an IPv6 address");
      choices.ip6 = ip;
    } else if (key == kAnnotationMac) {
      auto mac = MacAddress::parse(value);
      if (!mac) refuse(key, value, "not a MAC address");
      if (!mac->is_unicast()) refuse(key, value, "not a unicast MAC address");
      choices.mac = mac;
    } else if (key == kAnnotationDisable) {
      if (value != "true" && value != "false") refuse(key, value, "expected true or false");
      choices.disabled = value == "true";
    } else if (key == kAnnotationPorts) {
      choices.ports = parse_ports(value);
    } else if (key == kAnnotationAliases) {
      choices.aliases = parse_aliases(key, value);
    }
  }
  return choices;
}

}  // namespace hookwire
