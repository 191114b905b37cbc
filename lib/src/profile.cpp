#include <hookwire/profile.h>

#include <hookwire/error.h>
#include <hookwire/validate.h>

#include <algorithm>

#include "config_json.h"
#include "dns_name.h"
#include "json_util.h"

namespace hookwire {

namespace {

constexpr std::size_t kMaxProfileNameBytes = 64;

std::optional<PoolSpec> pool_from_json(const nlohmann::json& ipam, const char* family, Family expected,
                                       const JsonPath& ipam_at) {
  const auto* value = find_member(ipam, family);
  if (!value) return std::nullopt;
  auto at = ipam_at.key(family);
  expect_object(*value, at);
  auto subnet_text = read_string(require_member(*value, "subnet", at), at.key("subnet"));
  auto gateway_text = read_string(require_member(*value, "gateway", at), at.key("gateway"));
  const char* family_name = expected == Family::v4 ? "IPv4" : "IPv6";
  auto subnet = Cidr::parse(subnet_text);
  if (!subnet || subnet->family() != expected)
    at.key("subnet").fail(std::string("not an ") + family_name + " CIDR: " + quote_for_message(subnet_text));
  auto gateway = IpAddress::parse(gateway_text);
  if (!gateway || gateway->family() != expected)
    at.key("gateway").fail(std::string("not an ") + family_name + " address: " + quote_for_message(gateway_text));
  return PoolSpec{*subnet, *gateway};
}

// "8000-8999" or "8080"; nullopt when it is neither (0 and reversed ranges included).
std::optional<PortRange> parse_port_range(std::string_view text) {
  auto number = [](std::string_view digits) -> std::optional<std::uint16_t> {
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
  };
  auto dash = text.find('-');
  auto first = number(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

PortPolicy ports_from_json(const nlohmann::json& ports, const JsonPath& at) {
  expect_object(ports, at);
  PortPolicy policy;
  policy.enabled = true;
  for (const auto& text : strings_field(ports, "ranges", at)) {
    auto range = parse_port_range(text);
    if (!range) at.key("ranges").fail("not a port range (1-65535, FIRST-LAST): " + quote_for_message(text));
    policy.ranges.push_back(*range);
  }
  if (find_member(ports, "addresses")) {
    policy.any_address = false;
    for (const auto& text : strings_field(ports, "addresses", at)) {
      auto address = IpAddress::parse(text);
      if (!address) at.key("addresses").fail("not an IP address: " + quote_for_message(text));
      policy.addresses.push_back(*address);
    }
  }
  if (find_member(ports, "max")) policy.max = integer_field<std::size_t>(ports, "max", at);
  return policy;
}

// Every message names the profile first: "profile web: networks[0].mtu: ...".
Profile profile_from_json(const nlohmann::json& document, std::string name) {
  const JsonPath at("profile " + name);
  Profile profile;
  profile.name = std::move(name);
  profile.config = config_from_json(document, at);
  if (const auto* ipam = find_member(document, "ipam")) {
    expect_object(*ipam, at.key("ipam"));
    profile.ipv4 = pool_from_json(*ipam, "ipv4", Family::v4, at.key("ipam"));
    profile.ipv6 = pool_from_json(*ipam, "ipv6", Family::v6, at.key("ipam"));
  }
  if (const auto* dns = find_member(document, "dns")) {
    expect_object(*dns, at.key("dns"));
    profile.dns.nameservers = strings_field(*dns, "nameservers", at.key("dns"));
    profile.dns.search = strings_field(*dns, "search", at.key("dns"));
    profile.dns.options = strings_field(*dns, "options", at.key("dns"));
    profile.dns.names = bool_field(*dns, "names", at.key("dns"));
    profile.dns.domain = string_field(*dns, "domain", at.key("dns"));
    if (profile.dns.names && profile.dns.domain.empty()) profile.dns.domain = kDefaultDnsDomain;
  }
  profile.etc_hosts = bool_field(document, "etc_hosts", at);
  if (const auto* nat = find_member(document, "nat")) {
    expect_object(*nat, at.key("nat"));
    profile.nat.outbound = bool_field(*nat, "outbound", at.key("nat"));
    profile.nat.ipv6 = bool_field(*nat, "ipv6", at.key("nat"));
  }
  if (const auto* ports = find_member(document, "ports")) profile.ports = ports_from_json(*ports, at.key("ports"));
  if (find_member(document, "isolate")) profile.isolate = bool_field(document, "isolate", at);
  if (const auto* sysctls = find_member(document, "sysctls")) {
    expect_object(*sysctls, at.key("sysctls"), "an object of strings");
    for (const auto& [key, value] : sysctls->items())
      profile.sysctls[key] = read_string(value, at.key("sysctls").entry(key));
  }
  return profile;
}

bool is_token(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  for (unsigned char c : text)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

void validate_pool(const std::optional<PoolSpec>& pool, const std::string& where, std::vector<std::string>& problems) {
  if (!pool) return;
  const auto& subnet = pool->subnet;
  int max_prefix = subnet.family() == Family::v4 ? 30 : 126;
  if (subnet.prefix > max_prefix)
    problems.push_back(where + ".subnet: " + subnet.str() + " is too small (prefix at most /" +
                       std::to_string(max_prefix) + ")");
  if (!subnet.address.host_bits_zero(subnet.prefix))
    problems.push_back(where + ".subnet: " + subnet.str() + " has host bits set (the network is " +
                       subnet.network().str() + ")");
  if (!subnet.contains(pool->gateway))
    problems.push_back(where + ".gateway: " + pool->gateway.str() + " is outside " + subnet.str());
  else if (pool->gateway.host_bits_zero(subnet.prefix) ||
           (subnet.family() == Family::v4 && pool->gateway.host_bits_one(subnet.prefix)))
    problems.push_back(where + ".gateway: " + pool->gateway.str() + " is the network or broadcast address");
}

}  // namespace

bool is_valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProfileNameBytes) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

bool is_allowed_sysctl(std::string_view key) {
  // Only sysctls that each network namespace has its own copy of; in a container
  // netns the kernel does not even show the global ones.
  static constexpr std::string_view kPrefixes[] = {"net.ipv4.", "net.ipv6."};
  static constexpr std::string_view kExact[] = {"net.core.somaxconn", "net.unix.max_dgram_qlen"};
  if (key.size() > 128) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              (c == '.' && i + 1 < key.size() && key[i + 1] != '.');
    if (!ok) return false;
  }
  for (auto exact : kExact)
    if (key == exact) return true;
  for (auto prefix : kPrefixes)
    if (key.size() > prefix.size() && key.starts_with(prefix)) return true;
  return false;
}

std::vector<std::string> validate(const Profile& profile) {
  std::vector<std::string> problems = validate(profile.config);
  // The gate runs inside the container after pivot_root, where no host file (the
  // profile included) can be read: refused here, rather than silently never run.
  if (!profile.config.hooks.at(HookName::start_container).empty())
    problems.push_back(
        "Hooks.startContainer: never run: the startContainer gate runs inside the container and "
        "cannot read profiles (chain them at createContainer or poststart)");
  for (std::size_t i = 0; i < profile.config.networks.size(); ++i) {
    const auto& network = profile.config.networks[i];
    if (network.type != "veth") continue;
    std::string where = "networks[" + std::to_string(i) + "]";
    if (network.bridge.empty()) problems.push_back(where + ".bridge: a veth needs a bridge");
    if (network.address.empty() && network.ipv6_address.empty() && !profile.ipv4 && !profile.ipv6)
      problems.push_back(where + ": a veth needs an address, an ipv6_address or an ipam pool");
  }
  validate_pool(profile.ipv4, "ipam.ipv4", problems);
  validate_pool(profile.ipv6, "ipam.ipv6", problems);
  for (std::size_t i = 0; i < profile.dns.nameservers.size(); ++i)
    if (!IpAddress::parse(profile.dns.nameservers[i]))
      problems.push_back("dns.nameservers[" + std::to_string(i) +
                         "]: not an IP address: " + quote_for_message(profile.dns.nameservers[i]));
  for (const auto* list : {&profile.dns.search, &profile.dns.options})
    for (const auto& item : *list)
      if (!is_token(item)) problems.push_back("dns: not a single word: " + quote_for_message(item));
  if (!profile.dns.domain.empty() &&
      (!is_valid_dns_name(profile.dns.domain) || profile.dns.domain != lowercase_name(profile.dns.domain)))
    problems.push_back("dns.domain: not a lowercase domain name: " + quote_for_message(profile.dns.domain));
  if (!profile.dns.domain.empty() && !profile.dns.names) problems.push_back("dns.domain: needs dns.names");
  if (profile.dns.names) {
    bool first_veth_has_pool =
        (profile.ipv4 || profile.ipv6) && std::any_of(profile.config.networks.begin(), profile.config.networks.end(),
                                                      [](const Network& n) { return n.type == "veth"; });
    if (!first_veth_has_pool)
      problems.push_back("dns.names: needs a veth and an ipam pool (the resolver answers on the pool's gateway)");
    if (!profile.dns.nameservers.empty())
      problems.push_back("dns.names: the container's nameserver is the resolver; drop dns.nameservers");
  }
  if (profile.nat.ipv6 && !profile.nat.outbound) problems.push_back("nat.ipv6: needs nat.outbound");
  if (profile.nat.ipv6 && (!profile.ipv6 || !profile.ipv6->subnet.address.is_unique_local()))
    problems.push_back("nat.ipv6: NAT66 is only for a unique local (fc00::/7) ipam.ipv6 pool");
  if (profile.ports.enabled) {
    if (profile.ports.ranges.empty()) problems.push_back("ports.ranges: no host port may be published");
    if (profile.ports.max == 0 || profile.ports.max > kMaxPublishedPortsPerContainer)
      problems.push_back("ports.max: " + std::to_string(profile.ports.max) + " is not within 1-" +
                         std::to_string(kMaxPublishedPortsPerContainer));
    for (const auto& address : profile.ports.addresses)
      if (address.is_loopback() && address.family() == Family::v6)
        problems.push_back(
            "ports.addresses: ::1 cannot be forwarded to a container (the kernel routes no IPv6 "
            "loopback traffic out of the host's lo)");
  }
  for (const auto& [key, value] : profile.sysctls) {
    if (!is_allowed_sysctl(key))
      problems.push_back("sysctls: " + quote_for_message(key) +
                         " is not allowed (only net.ipv4.*, net.ipv6.*, "
                         "net.core.somaxconn, net.unix.max_dgram_qlen)");
    if (value.empty() || value.size() > 256 || value.find('\n') != std::string::npos)
      problems.push_back("sysctls[" + quote_for_message(key) + "]: bad value " + quote_for_message(value));
  }
  return problems;
}

Profile read_profile(std::string_view json, std::string name) {
  auto document = parse_json_strict(json, "profile " + name);  // before `name` is moved from
  return profile_from_json(document, std::move(name));
}

Profile parse_profile(std::string_view json, std::string name) {
  Profile profile = read_profile(json, name);
  auto problems = validate(profile);
  if (!problems.empty()) throw Error::input("profile " + profile.name + ": " + problems.front());
  return profile;
}

Profile default_profile() {
  Profile profile;
  profile.name = std::string(kDefaultProfileName);
  Network loopback;
  loopback.type = "loopback";
  Network eth0;
  eth0.type = "veth";
  eth0.name = "eth0";
  eth0.bridge = "hookwire0";
  profile.config.networks = {loopback, eth0};
  profile.ipv4 = PoolSpec{*Cidr::parse("10.213.0.0/16"), *IpAddress::parse("10.213.0.1")};
  profile.ipv6 = PoolSpec{*Cidr::parse("fd00:213::/64"), *IpAddress::parse("fd00:213::1")};
  return profile;
}

}  // namespace hookwire
