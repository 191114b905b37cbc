#include <hookwire/profile.h>

#include <hookwire/error.h>

#include "config_json.h"
#include "json_util.h"

namespace hookwire {

namespace {

constexpr std::size_t kMaxProfileNameBytes = 64;

const nlohmann::json* find(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string expect_string(const nlohmann::json& value, const std::string& where) {
  if (!value.is_string()) throw Error::input(where + ": expected a string, got " + json_type_name(value));
  return value.get<std::string>();
}

std::vector<std::string> string_list(const nlohmann::json& object, const char* key, const std::string& where) {
  std::vector<std::string> out;
  const auto* value = find(object, key);
  if (!value) return out;
  if (!value->is_array()) throw Error::input(where + "." + key + ": expected an array, got " + json_type_name(*value));
  for (std::size_t i = 0; i < value->size(); ++i)
    out.push_back(expect_string((*value)[i], where + "." + key + "[" + std::to_string(i) + "]"));
  return out;
}

std::optional<PoolSpec> pool_from_json(const nlohmann::json& ipam, const char* family, Family expected) {
  const auto* value = find(ipam, family);
  if (!value) return std::nullopt;
  std::string where = std::string("ipam.") + family;
  if (!value->is_object()) throw Error::input(where + ": expected an object, got " + json_type_name(*value));
  const auto* subnet_json = find(*value, "subnet");
  const auto* gateway_json = find(*value, "gateway");
  if (!subnet_json) throw Error::input(where + ".subnet: missing");
  if (!gateway_json) throw Error::input(where + ".gateway: missing");
  auto subnet_text = expect_string(*subnet_json, where + ".subnet");
  auto gateway_text = expect_string(*gateway_json, where + ".gateway");
  auto subnet = Cidr::parse(subnet_text);
  if (!subnet || subnet->family() != expected)
    throw Error::input(where + ".subnet: not an " + (expected == Family::v4 ? "IPv4" : "IPv6") +
                       " CIDR: " + quote_for_message(subnet_text));
  auto gateway = IpAddress::parse(gateway_text);
  if (!gateway || gateway->family() != expected)
    throw Error::input(where + ".gateway: not an " + (expected == Family::v4 ? "IPv4" : "IPv6") +
                       " address: " + quote_for_message(gateway_text));
  return PoolSpec{*subnet, *gateway};
}

Profile profile_from_json(const nlohmann::json& document, std::string name) {
  if (!document.is_object()) throw Error::input("expected a JSON object, got " + json_type_name(document));
  Profile profile;
  profile.name = std::move(name);
  profile.config = config_from_json(document, "profile " + profile.name);
  if (const auto* ipam = find(document, "ipam")) {
    if (!ipam->is_object()) throw Error::input("ipam: expected an object, got " + json_type_name(*ipam));
    profile.ipv4 = pool_from_json(*ipam, "ipv4", Family::v4);
    profile.ipv6 = pool_from_json(*ipam, "ipv6", Family::v6);
  }
  if (const auto* dns = find(document, "dns")) {
    if (!dns->is_object()) throw Error::input("dns: expected an object, got " + json_type_name(*dns));
    profile.dns.nameservers = string_list(*dns, "nameservers", "dns");
    profile.dns.search = string_list(*dns, "search", "dns");
    profile.dns.options = string_list(*dns, "options", "dns");
  }
  if (const auto* hosts = find(document, "etc_hosts")) {
    if (!hosts->is_boolean()) throw Error::input("etc_hosts: expected a boolean, got " + json_type_name(*hosts));
    profile.etc_hosts = hosts->get<bool>();
  }
  if (const auto* sysctls = find(document, "sysctls")) {
    if (!sysctls->is_object())
      throw Error::input("sysctls: expected an object of strings, got " + json_type_name(*sysctls));
    for (const auto& [key, value] : sysctls->items())
      profile.sysctls[key] = expect_string(value, "sysctls[" + quote_for_message(key) + "]");
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
      problems.push_back("dns.nameservers[" + std::to_string(i) + "]: not an IP address: " +
                         quote_for_message(profile.dns.nameservers[i]));
  for (const auto* list : {&profile.dns.search, &profile.dns.options})
    for (const auto& item : *list)
      if (!is_token(item)) problems.push_back("dns: not a single word: " + quote_for_message(item));
  for (const auto& [key, value] : profile.sysctls) {
    if (!is_allowed_sysctl(key))
      problems.push_back("sysctls: " + quote_for_message(key) + " is not allowed (only net.ipv4.*, net.ipv6.*, "
                         "net.core.somaxconn, net.unix.max_dgram_qlen)");
    if (value.empty() || value.size() > 256 || value.find('\n') != std::string::npos)
      problems.push_back("sysctls[" + quote_for_message(key) + "]: bad value " + quote_for_message(value));
  }
  return problems;
}

Profile read_profile(std::string_view json, std::string name) {
  std::string prefix = "profile " + name;
  try {
    return profile_from_json(parse_json_strict(json, prefix), name);
  } catch (const Error& e) {
    std::string message = e.what();
    if (message.rfind(prefix + ": ", 0) == 0) throw;
    throw Error::input(prefix + ": " + message);
  }
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
