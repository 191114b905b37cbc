#include <hookwire/validate.h>

#include <hookwire/error.h>
#include <hookwire/ip.h>

#include "json_util.h"

#include <map>
#include <optional>

namespace hookwire {

namespace {

constexpr std::size_t kMaxIfnameBytes = 15;  // IFNAMSIZ - 1

// What the kernel's isspace() rejects in dev_valid_name(): its ctype table is
// Latin-1, so NBSP (0xa0) counts as whitespace too.
bool is_kernel_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

using Problems = std::vector<std::string>;

void check_ifname(Problems& problems, const std::string& field, const std::string& name) {
  if (name.empty()) return;
  if (!is_valid_ifname(name)) {
    problems.push_back(field + ": invalid interface name " + quote_for_message(name) +
                       " (1-15 bytes, no '/', ':' or whitespace, not \".\" or \"..\")");
  } else if (name.find('%') != std::string::npos) {
    // The kernel would pick "eth0" for "eth%d", and hookwire would not know the name.
    problems.push_back(field + ": " + quote_for_message(name) +
                       " contains '%', which the kernel replaces with a number");
  }
}

const char* family_name(Family family) {
  return family == Family::v4 ? "IPv4" : "IPv6";
}

void check_cidr(Problems& problems, const std::string& field, const std::string& text, Family family) {
  if (text.empty()) return;
  auto cidr = Cidr::parse(text);
  if (!cidr || cidr->family() != family)
    problems.push_back(field + ": " + quote_for_message(text) + " is not an " + family_name(family) + " CIDR");
}

void check_ip(Problems& problems, const std::string& field, const std::string& text, Family family) {
  if (text.empty()) return;
  auto ip = IpAddress::parse(text);
  if (!ip || ip->family() != family)
    problems.push_back(field + ": " + quote_for_message(text) + " is not an " + family_name(family) + " address");
}

void check_mac(Problems& problems, const std::string& field, const std::string& text) {
  if (text.empty()) return;
  auto mac = MacAddress::parse(text);
  if (!mac)
    problems.push_back(field + ": " + quote_for_message(text) + " is not a MAC address");
  else if (!mac->is_unicast())
    problems.push_back(field + ": " + quote_for_message(text) + " is not a unicast MAC address");
}

void check_command(Problems& problems, const std::string& where, const Command& command) {
  if (command.path.empty())
    problems.push_back(where + ".path: missing");
  else if (command.path[0] != '/')
    problems.push_back(where + ".path: " + quote_for_message(command.path) + " is not an absolute path");
  if (command.timeout && command.timeout->count() < 0)
    problems.push_back(where + ".timeout: negative (" + std::to_string(command.timeout->count()) + "ns)");
}

void check_hooks(Problems& problems, const Hooks& hooks) {
  for (auto name : hook_names()) {
    const auto& list = hooks.at(name);
    for (std::size_t i = 0; i < list.size(); ++i)
      if (const auto* command_hook = dynamic_cast<const CommandHook*>(list[i].get()))
        check_command(problems, "Hooks." + std::string(to_string(name)) + "[" + std::to_string(i) + "]",
                      command_hook->command());
  }
}

// Two veths with the same name on either side: the second would fail half-way through.
void check_unique_names(Problems& problems, const std::vector<Network>& networks) {
  std::map<std::string, std::size_t> names, host_names;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const auto& n = networks[i];
    if (n.type != "veth") continue;
    std::string where = "networks[" + std::to_string(i) + "]";
    auto check = [&](std::map<std::string, std::size_t>& seen, const std::string& value, const char* field) {
      if (value.empty()) return;
      auto [it, added] = seen.emplace(value, i);
      if (!added)
        problems.push_back(where + "." + field + ": " + quote_for_message(value) + " is already used by networks[" +
                           std::to_string(it->second) + "]");
    };
    check(names, n.name, "name");
    check(host_names, n.host_interface_name, "host_interface_name");
  }
}

}  // namespace

bool is_valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > kMaxIfnameBytes || name == "." || name == "..") return false;
  for (unsigned char c : name)
    // A NUL would cut the name short on its way to the kernel.
    if (c == '\0' || c == '/' || c == ':' || is_kernel_space(c)) return false;
  return true;
}

std::vector<std::string> validate(const Network& network, const std::string& where) {
  Problems problems;
  if (network.type.empty()) {
    problems.push_back(where + ".type: missing (expected \"loopback\" or \"veth\")");
  } else if (network.type != "loopback" && network.type != "veth") {
    problems.push_back(where + ".type: unknown type " + quote_for_message(network.type) +
                       " (expected \"loopback\" or \"veth\")");
  }
  if (network.type == "veth" && network.name.empty()) problems.push_back(where + ".name: a veth needs a name");
  check_ifname(problems, where + ".name", network.name);
  check_ifname(problems, where + ".bridge", network.bridge);
  check_ifname(problems, where + ".host_interface_name", network.host_interface_name);
  check_mac(problems, where + ".mac_address", network.mac_address);
  check_cidr(problems, where + ".address", network.address, Family::v4);
  check_ip(problems, where + ".gateway", network.gateway, Family::v4);
  check_cidr(problems, where + ".ipv6_address", network.ipv6_address, Family::v6);
  check_ip(problems, where + ".ipv6_gateway", network.ipv6_gateway, Family::v6);
  // 68 is the smallest MTU IPv4 allows (RFC 791); 65535 the largest an IP packet can use.
  if (network.mtu != 0 && (network.mtu < 68 || network.mtu > 65535))
    problems.push_back(where + ".mtu: " + std::to_string(network.mtu) +
                       " is out of range (0 for the default, or 68-65535)");
  if (network.txqueuelen < 0)
    problems.push_back(where + ".txqueuelen: " + std::to_string(network.txqueuelen) + " is negative");
  return problems;
}

std::vector<std::string> validate(const Route& route, const std::string& where) {
  Problems problems;
  std::optional<Family> family;
  std::string family_from;  // the field that set `family`, for the mismatch message
  auto agree = [&](const std::string& field, const std::string& text, Family f) {
    if (!family) {
      family = f;
      family_from = field;
    } else if (*family != f) {
      problems.push_back(where + "." + field + ": " + quote_for_message(text) + " is " + family_name(f) + " but " +
                         family_from + " is " + family_name(*family));
    }
  };

  if (route.destination.empty()) {
    problems.push_back(where + ".destination: missing");
  } else if (auto cidr = Cidr::parse(route.destination); !cidr) {
    problems.push_back(where + ".destination: " + quote_for_message(route.destination) + " is not a CIDR");
  } else {
    agree("destination", route.destination, cidr->family());
    // The kernel refuses such a route with EINVAL; say what was probably meant.
    if (!cidr->address.host_bits_zero(cidr->prefix))
      problems.push_back(where + ".destination: " + quote_for_message(route.destination) +
                         " has host bits set (the network is " + cidr->network().str() + ")");
  }
  for (auto [field, text] : {std::pair{"source", &route.source}, std::pair{"gateway", &route.gateway}}) {
    if (text->empty()) continue;
    if (auto ip = IpAddress::parse(*text))
      agree(field, *text, ip->family());
    else
      problems.push_back(where + "." + field + ": " + quote_for_message(*text) + " is not an IP address");
  }
  check_ifname(problems, where + ".interface_name", route.interface_name);
  if (route.gateway.empty() && route.interface_name.empty())
    problems.push_back(where + ": needs a gateway or an interface_name");
  return problems;
}

std::vector<std::string> validate(const Config& config) {
  Problems problems;
  // libcontainer's validator: a config that lists namespaces must give networks a
  // private one. An empty list (a profile) leaves that to the runtime's config.
  if (!config.namespaces.empty() && !config.namespaces.Contains(NamespaceType::newnet) &&
      (!config.networks.empty() || !config.routes.empty()))
    problems.push_back("namespaces: no NEWNET, but networks and routes need a private network namespace");
  for (std::size_t i = 0; i < config.networks.size(); ++i)
    for (auto& p : validate(config.networks[i], "networks[" + std::to_string(i) + "]"))
      problems.push_back(std::move(p));
  check_unique_names(problems, config.networks);
  for (std::size_t i = 0; i < config.routes.size(); ++i)
    for (auto& p : validate(config.routes[i], "routes[" + std::to_string(i) + "]")) problems.push_back(std::move(p));
  check_hooks(problems, config.hooks);
  return problems;
}

void validate_or_throw(const Config& config) {
  auto problems = validate(config);
  if (!problems.empty()) throw Error::input(problems.front());
}

}  // namespace hookwire
