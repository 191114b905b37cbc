#include "dns/names.h"

#include <algorithm>
#include <charconv>

#include "dns/message.h"
#include "dns_name.h"

namespace hookwire::dns {

namespace {

constexpr std::string_view kReverse4 = ".in-addr.arpa";
constexpr std::string_view kReverse6 = ".ip6.arpa";

// Whether a record's status means its links and addresses are in place: a record
// still "wiring" may be rolled back, and its names are not served yet.
bool is_wired(const LedgerEntry& entry) {
  return entry.status == "wired" || entry.status == "running";
}

void erase_id(std::vector<std::string>& ids, const std::string& id) {
  std::erase(ids, id);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<IpAddress> address_of_reverse_name(std::string_view name) {
  std::uint8_t bytes[16] = {};
  if (name.ends_with(kReverse4)) {
    name.remove_suffix(kReverse4.size());
    for (int i = 3; i >= 0; --i) {
      auto dot = name.find('.');
      auto label = name.substr(0, dot);
      if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
      unsigned value = 0;
      auto [end, err] = std::from_chars(label.data(), label.data() + label.size(), value);
      if (err != std::errc() || end != label.data() + label.size() || value > 255) return std::nullopt;
      bytes[i] = static_cast<std::uint8_t>(value);
      if ((dot == std::string_view::npos) != (i == 0)) return std::nullopt;
      if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
    }
    return IpAddress::from_bytes(Family::v4, bytes);
  }
  if (name.ends_with(kReverse6)) {
    name.remove_suffix(kReverse6.size());
    // 32 nibbles, the last first: "b.a.9.8...."
    if (name.size() != 63) return std::nullopt;
    for (int i = 0; i < 32; ++i) {
      int nibble = hex_value(name[static_cast<std::size_t>(i) * 2]);
      if (nibble < 0 || (i < 31 && name[static_cast<std::size_t>(i) * 2 + 1] != '.')) return std::nullopt;
      int index = 31 - i;
      bytes[index / 2] |= static_cast<std::uint8_t>(index % 2 == 0 ? nibble << 4 : nibble);
    }
    return IpAddress::from_bytes(Family::v6, bytes);
  }
  return std::nullopt;
}

void NameTable::set(const LedgerEntry& entry) {
  remove(entry.id);
  if (entry.dns.empty() || !is_wired(entry)) return;
  Container container;
  container.bridge = entry.dns.bridge;
  container.domain = entry.dns.domain;
  // Only what the hooks would have recorded: a record edited by hand may hold anything.
  if (!is_valid_dns_name(entry.dns.domain)) return;
  for (const auto& name : entry.dns.names)
    if (is_valid_dns_name(name) && name == lowercase_name(name)) container.names.push_back(name);
  for (const auto& text : entry.dns.servers)
    if (auto ip = IpAddress::parse(text)) container.servers.push_back(*ip);
  for (const auto& text : entry.dns.clients)
    if (auto cidr = Cidr::parse(text)) container.clients.push_back(cidr->network());
  // Its addresses on this network: those inside the network's pools.
  for (const auto& address : entry.addresses)
    if (auto cidr = Cidr::parse(address.cidr))
      if (std::any_of(container.clients.begin(), container.clients.end(),
                      [&](const Cidr& pool) { return pool.contains(cidr->address); }))
        container.addresses.push_back(cidr->address);
  index(entry.id, container);
  containers_.emplace(entry.id, std::move(container));
}

bool NameTable::remove(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return false;
  unindex(id, it->second);
  containers_.erase(it);
  return true;
}

void NameTable::clear() {
  containers_.clear();
  networks_.clear();
  servers_.clear();
}

void NameTable::index(const std::string& id, const Container& container) {
  auto& network = networks_[container.bridge];
  for (const auto& name : container.names) network.ids_by_name[name].push_back(id);
  for (const auto& address : container.addresses) network.ids_by_address[address].push_back(id);
  ++network.domains[container.domain];
  for (const auto& pool : container.clients) ++network.clients[pool];
  for (const auto& server : container.servers) {
    auto [it, added] = servers_.try_emplace(server, container.bridge, 0);
    // The first network seen on a gateway keeps it (two bridges cannot share one).
    if (it->second.first == container.bridge) ++it->second.second;
  }
}

void NameTable::unindex(const std::string& id, const Container& container) {
  auto& network = networks_[container.bridge];
  for (const auto& name : container.names) {
    auto it = network.ids_by_name.find(name);
    if (it == network.ids_by_name.end()) continue;
    erase_id(it->second, id);
    if (it->second.empty()) network.ids_by_name.erase(it);
  }
  for (const auto& address : container.addresses) {
    auto it = network.ids_by_address.find(address);
    if (it == network.ids_by_address.end()) continue;
    erase_id(it->second, id);
    if (it->second.empty()) network.ids_by_address.erase(it);
  }
  if (--network.domains[container.domain] == 0) network.domains.erase(container.domain);
  for (const auto& pool : container.clients)
    if (--network.clients[pool] == 0) network.clients.erase(pool);
  for (const auto& server : container.servers) {
    auto it = servers_.find(server);
    if (it != servers_.end() && it->second.first == container.bridge && --it->second.second == 0) servers_.erase(it);
  }
  if (network.ids_by_name.empty() && network.domains.empty()) networks_.erase(container.bridge);
}

const std::string* NameTable::network_at(const IpAddress& server) const {
  auto it = servers_.find(server);
  return it == servers_.end() ? nullptr : &it->second.first;
}

bool NameTable::is_client(const std::string& bridge, const IpAddress& client) const {
  auto it = networks_.find(bridge);
  if (it == networks_.end()) return false;
  return std::any_of(it->second.clients.begin(), it->second.clients.end(),
                     [&](const auto& pool) { return pool.first.contains(client); });
}

Lookup NameTable::lookup(const std::string& bridge, std::string_view qname, std::uint16_t qtype) const {
  auto it = networks_.find(bridge);
  if (it == networks_.end()) return {};
  const auto& network = it->second;
  if (qname.ends_with(kReverse4) || qname.ends_with(kReverse6)) {
    auto address = address_of_reverse_name(qname);
    if (!address) return {};
    auto found = answer_reverse(network, *address);
    // A name found, asked for another type than PTR: no data of that type.
    if (found.kind == Lookup::Kind::answer && qtype != kTypePtr) found.targets.clear();
    return found;
  }
  for (const auto& [domain, count] : network.domains) {
    if (qname == domain) return {Lookup::Kind::answer, {}, {}};  // the domain itself: no data
    if (qname.size() > domain.size() + 1 && qname.ends_with(domain) && qname[qname.size() - domain.size() - 1] == '.') {
      auto found = answer_name(network, std::string(qname.substr(0, qname.size() - domain.size() - 1)), qtype);
      if (found.kind == Lookup::Kind::forward) found.kind = Lookup::Kind::nxdomain;
      return found;
    }
  }
  return answer_name(network, std::string(qname), qtype);
}

Lookup NameTable::answer_name(const Network& network, const std::string& name, std::uint16_t qtype) const {
  auto it = network.ids_by_name.find(name);
  if (it == network.ids_by_name.end()) return {};
  Lookup found{Lookup::Kind::answer, {}, {}};
  if (qtype != kTypeA && qtype != kTypeAaaa) return found;
  auto family = qtype == kTypeA ? Family::v4 : Family::v6;
  for (const auto& id : it->second)
    for (const auto& address : containers_.at(id).addresses)
      if (address.family() == family) found.addresses.push_back(address);
  return found;
}

Lookup NameTable::answer_reverse(const Network& network, const IpAddress& address) const {
  auto it = network.ids_by_address.find(address);
  if (it == network.ids_by_address.end()) {
    bool in_pool = std::any_of(network.clients.begin(), network.clients.end(),
                               [&](const auto& pool) { return pool.first.contains(address); });
    return {in_pool ? Lookup::Kind::nxdomain : Lookup::Kind::forward, {}, {}};
  }
  Lookup found{Lookup::Kind::answer, {}, {}};
  for (const auto& id : it->second) {
    const auto& container = containers_.at(id);
    if (!container.names.empty()) found.targets.push_back(container.names.front() + "." + container.domain);
  }
  return found;
}

std::vector<IpAddress> NameTable::servers() const {
  std::vector<IpAddress> out;
  for (const auto& [server, owner] : servers_) out.push_back(server);
  return out;
}

std::size_t NameTable::names() const {
  std::size_t count = 0;
  for (const auto& [bridge, network] : networks_) count += network.ids_by_name.size();
  return count;
}

}  // namespace hookwire::dns
