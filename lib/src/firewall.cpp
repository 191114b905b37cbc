#include "firewall.h"

#include <hookwire/admin.h>
#include <hookwire/error.h>

#include "conntrack.h"
#include "fs_util.h"
#include "json_util.h"
#include "unique_fd.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <ifaddrs.h>
#include <map>
#include <net/if.h>
#include <netinet/in.h>
#include <set>
#include <sys/file.h>
#include <unistd.h>

namespace hookwire {

namespace {

using Bytes = std::vector<std::uint8_t>;

// Every per-container set or map of the skeleton (not @bridges, which is shared).
constexpr const char* kContainerSets[] = {"members4",  "members6", "nat4",   "nat6",  "isolated4",
                                          "isolated6", "ports4",   "ports6", "wild4", "wild6"};
constexpr const char* kBridgeSet = "bridges";
// Elements per transaction when a whole ledger is restored: a netlink batch must
// fit in the socket's send buffer.
constexpr std::size_t kRestoreBatch = 1000;

// The kernel's layout of a concatenation: each field padded to 4 bytes, network order.
void put_address(Bytes& out, const IpAddress& address) {
  out.insert(out.end(), address.data(), address.data() + address.size());
}
void put_ifname(Bytes& out, const std::string& name) {
  Bytes field(IFNAMSIZ, 0);
  std::copy_n(name.begin(), std::min(name.size(), field.size() - 1), field.begin());
  out.insert(out.end(), field.begin(), field.end());
}
void put_protocol(Bytes& out, Protocol protocol) {
  out.insert(out.end(), {static_cast<std::uint8_t>(protocol), 0, 0, 0});
}
void put_port(Bytes& out, std::uint16_t port) {
  out.insert(out.end(), {static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xff), 0, 0});
}

std::string family_suffix(const IpAddress& address) {
  return address.family() == Family::v4 ? "4" : "6";
}

IpAddress parse_recorded(const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address) throw Error::input("ledger: not an address: " + quote_for_message(text));
  return *address;
}

std::vector<nft::Element> bridge_elements(const LedgerFirewall& firewall) {
  std::set<std::string> bridges;
  for (const auto& member : firewall.members) bridges.insert(member.bridge);
  std::vector<nft::Element> out;
  for (const auto& bridge : bridges) {
    nft::Element element{kBridgeSet, {}, {}};
    put_ifname(element.key, bridge);
    out.push_back(std::move(element));
  }
  return out;
}

// The readers of the element bytes, for describe_element.
struct Reader {
  const Bytes& bytes;
  std::size_t at = 0;
  bool fits(std::size_t n) const { return at + n <= bytes.size(); }
  std::string address(Family family) {
    std::size_t n = family == Family::v4 ? 4 : 16;
    if (!fits(n)) return "?";
    auto text = IpAddress::from_bytes(family, bytes.data() + at).str();
    at += n;
    return text;
  }
  std::string ifname() {
    if (!fits(IFNAMSIZ)) return "?";
    std::string name(reinterpret_cast<const char*>(bytes.data() + at),
                     strnlen(reinterpret_cast<const char*>(bytes.data() + at), IFNAMSIZ));
    at += IFNAMSIZ;
    return "\"" + name + "\"";
  }
  std::string protocol() {
    if (!fits(4)) return "?";
    auto number = bytes[at];
    at += 4;
    for (auto p : {Protocol::tcp, Protocol::udp, Protocol::sctp})
      if (static_cast<std::uint8_t>(p) == number) return std::string(protocol_name(p));
    return std::to_string(number);
  }
  std::string port() {
    if (!fits(4)) return "?";
    unsigned value = (bytes[at] << 8) | bytes[at + 1];
    at += 4;
    return std::to_string(value);
  }
};

// Every readable record. (An unreadable one: gc unwires it by id, and
// firewall_extras then finds its elements.)
std::vector<LedgerEntry> recorded_entries(const std::string& state_dir) {
  return list_entries(state_dir);
}

void commit_in_batches(const std::vector<nft::Element>& elements) {
  for (std::size_t i = 0; i < elements.size(); i += kRestoreBatch) {
    std::vector<nft::Element> batch(
        elements.begin() + static_cast<std::ptrdiff_t>(i),
        elements.begin() + static_cast<std::ptrdiff_t>(std::min(i + kRestoreBatch, elements.size())));
    nft::commit(kFirewallTable, batch, {});
  }
}

// Whether nft can read `name` inside double quotes as it is.
bool plain_name(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

// A fresh skeleton and every record's elements, in one `nft -f` transaction, so
// that no packet ever meets the new table without them. (An element naming a
// bridge nft could not read in quotes follows over netlink.) The caller holds
// the lock exclusively.
std::size_t rebuild(const std::string& state_dir) {
  std::vector<nft::Element> all;
  std::size_t containers = 0;
  for (const auto& entry : recorded_entries(state_dir)) {
    if (entry.firewall.empty()) continue;
    ++containers;
    for (auto& element : container_elements(entry.firewall)) all.push_back(std::move(element));
    for (auto& element : bridge_elements(entry.firewall)) all.push_back(std::move(element));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string text = firewall_skeleton();
  std::vector<nft::Element> later;
  std::map<std::string, std::string> listed;
  for (auto& element : all) {
    auto description = describe_element(element);
    auto quote = description.find('"');
    bool plain = quote == std::string::npos ||
                 plain_name(description.substr(quote + 1, description.find('"', quote + 1) - quote - 1));
    if (!plain) {
      later.push_back(std::move(element));
      continue;
    }
    auto& items = listed[element.set];
    items += (items.empty() ? "" : ", ") + description.substr(element.set.size() + 1);
  }
  for (const auto& [set, items] : listed) text += "add element inet hookwire " + set + " { " + items + " }\n";
  nft::run_nft(text);
  commit_in_batches(later);
  // A client that kept sending to a port while its element was missing has a
  // flow that is not NATed, and would keep it: the restored port must win.
  std::vector<HostPort> datagram_ports;
  for (const auto& entry : recorded_entries(state_dir))
    for (const auto& port : leased_ports(entry.firewall))
      if (port.protocol != Protocol::tcp) datagram_ports.push_back(port);
  try {
    forget_conntrack({}, datagram_ports, PortFlows::not_nated);
  } catch (const Error&) {
    // Best effort, as at wire time: the table itself is what the rebuild is for.
  }
  return containers;
}

// Sets a boolean sysctl of the host to 1 unless it is already on.
void switch_on(const std::string& path, const std::string& key, const std::string& why, Logger& log) {
  auto current = read_file(path, 64);
  if (!current) throw Error::system(ENOENT, "read " + path);
  if (current->starts_with("1")) return;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || write(fd.get(), "1", 1) != 1) throw_errno("set " + key + "=1");
  log.info("switched on " + key + " (" + why + ")");
}

bool host_has_address(const IpAddress& address) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw_errno("list the host's addresses");
  bool found = false;
  for (auto* entry = list; entry && !found; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    if (entry->ifa_addr->sa_family == AF_INET && address.family() == Family::v4) {
      auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      found = IpAddress::from_bytes(Family::v4, reinterpret_cast<const std::uint8_t*>(&in->sin_addr)) == address;
    } else if (entry->ifa_addr->sa_family == AF_INET6 && address.family() == Family::v6) {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      found = IpAddress::from_bytes(Family::v6, in6->sin6_addr.s6_addr) == address;
    }
  }
  freeifaddrs(list);
  return found;
}

IpAddress unspecified(Family family) {
  return *IpAddress::parse(family == Family::v4 ? "0.0.0.0" : "::");
}

std::string family_name(Family family) {
  return family == Family::v4 ? "IPv4" : "IPv6";
}

// The families a profile's containers get an address of.
std::vector<Family> profile_families(const Profile& profile) {
  bool v4 = profile.ipv4.has_value(), v6 = profile.ipv6.has_value();
  for (const auto& network : profile.config.networks) {
    if (network.type != "veth") continue;
    v4 |= !network.address.empty();
    v6 |= !network.ipv6_address.empty();
  }
  std::vector<Family> out;
  if (v4) out.push_back(Family::v4);
  if (v6) out.push_back(Family::v6);
  return out;
}

std::string entry_text(const PortSpec& spec) {
  std::string text;
  if (spec.host_address)
    text = spec.host_address->family() == Family::v6 ? "[" + spec.host_address->str() + "]:"
                                                     : spec.host_address->str() + ":";
  auto range = [](std::uint16_t first, std::uint16_t last) {
    return std::to_string(first) + (last != first ? "-" + std::to_string(last) : "");
  };
  return text + range(spec.host_first, spec.host_last) + ":" + range(spec.container_first, spec.container_last) + "/" +
         std::string(protocol_name(spec.protocol));
}

[[noreturn]] void refuse(const PortSpec& spec, const std::string& why) {
  throw Error::input(std::string("annotation io.hookwire.ports: entry ") + quote_for_message(entry_text(spec)) + ": " +
                     why);
}

}  // namespace

FirewallLock::FirewallLock(const std::string& state_dir, Mode mode) {
  std::string path = state_dir + "/firewall.lock";
  fd_ = UniqueFd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_) throw_errno("open " + path);
  set(mode);
}

void FirewallLock::set(Mode mode) {
  // A conversion is not atomic (flock(2)): two holders that both ask for
  // exclusive each give up their shared lock first, so they never deadlock.
  while (flock(fd_.get(), mode == Mode::exclusive ? LOCK_EX : LOCK_SH) != 0)
    if (errno != EINTR) throw_errno("lock firewall.lock");
}

std::string firewall_skeleton() {
  // Replaced as one transaction: the table is created empty if missing, deleted,
  // and declared again, so that running this twice never doubles a rule.
  return R"(table inet hookwire {}
delete table inet hookwire
table inet hookwire {
  comment "hookwire skeleton 2: elements follow the ledger; hookwire reload rebuilds it"
  set bridges { type ifname; }
  set members4 { type ipv4_addr . ifname; }
  set members6 { type ipv6_addr . ifname; }
  set nat4 { type ipv4_addr; }
  set nat6 { type ipv6_addr; }
  set isolated4 { type ipv4_addr; }
  set isolated6 { type ipv6_addr; }
  map ports4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map ports6 { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }
  map wild4 { type inet_proto . inet_service : ipv4_addr . inet_service; }
  map wild6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
  chain guard {
    type filter hook prerouting priority raw; policy accept;
    iif != "lo" ip daddr 127.0.0.0/8 drop
    iif != "lo" ip saddr 127.0.0.0/8 drop
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump published
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local jump published
  }
  chain published {
    dnat ip to ip daddr . meta l4proto . th dport map @ports4
    dnat ip to meta l4proto . th dport map @wild4
    ip6 daddr ::1 return
    dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports6
    dnat ip6 to meta l4proto . th dport map @wild6
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat ip saddr . oifname @members4 masquerade
    ct status dnat ip6 saddr . oifname @members6 masquerade
    ct status dnat ip saddr 127.0.0.0/8 ip daddr . oifname @members4 masquerade
    ip saddr @nat4 oifname != @bridges masquerade
    ip6 saddr @nat6 oifname != @bridges masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname @bridges ip saddr . iifname != @members4 drop
    iifname @bridges ip6 saddr . iifname != @members6 drop
    ct status dnat return
    ip daddr . iifname @members4 return
    ip6 daddr . iifname @members6 return
    ip saddr @isolated4 ip daddr . oifname @members4 drop
    ip6 saddr @isolated6 ip6 daddr . oifname @members6 drop
    ip daddr @isolated4 ct state new drop
    ip6 daddr @isolated6 ct state new drop
  }
}
)";
}

void check_ports(const Profile& profile, const std::vector<PortSpec>& specs) {
  if (specs.empty()) return;
  const auto& policy = profile.ports;
  if (!policy.enabled)
    throw Error::input("annotation io.hookwire.ports: profile " + profile.name + " publishes no ports");
  auto families = profile_families(profile);
  auto allowed = [&](const IpAddress& address) {
    if (policy.any_address) return true;
    return std::find(policy.addresses.begin(), policy.addresses.end(), address) != policy.addresses.end() ||
           std::find(policy.addresses.begin(), policy.addresses.end(), unspecified(address.family())) !=
               policy.addresses.end();
  };
  std::size_t count = 0;
  for (const auto& spec : specs) {
    for (unsigned port = spec.host_first; port <= spec.host_last; ++port) {
      bool in_range = std::any_of(policy.ranges.begin(), policy.ranges.end(), [&](const PortRange& range) {
        return range.contains(static_cast<std::uint16_t>(port));
      });
      if (!in_range)
        refuse(spec,
               "host port " + std::to_string(port) + " is outside the ranges profile " + profile.name + " allows");
    }
    count += spec.host_last - spec.host_first + 1u;
    if (spec.host_address) {
      const auto& address = *spec.host_address;
      if (std::find(families.begin(), families.end(), address.family()) == families.end())
        refuse(spec,
               "profile " + profile.name + " gives its containers no " + family_name(address.family()) + " address");
      if (!allowed(address)) refuse(spec, "profile " + profile.name + " does not allow host address " + address.str());
      if (address.family() == Family::v6 && address.is_loopback())
        refuse(spec, "::1 cannot be forwarded to a container");
      if (!address.is_unspecified() && !host_has_address(address))
        refuse(spec, address.str() + " is not an address of this host");
    } else {
      for (auto family : families)
        if (!allowed(unspecified(family)))
          refuse(spec, "profile " + profile.name + " does not allow every host " + family_name(family) +
                           " address (name one)");
    }
  }
  if (count > policy.max)
    throw Error::input("annotation io.hookwire.ports: " + std::to_string(count) + " host ports, profile " +
                       profile.name + " allows " + std::to_string(policy.max));
}

LedgerFirewall plan_firewall(const Profile& profile, const std::vector<PortSpec>& specs,
                             const std::vector<LedgerMember>& members) {
  LedgerFirewall firewall;
  firewall.members = members;
  firewall.nat4 = profile.nat.outbound;
  firewall.nat6 = profile.nat.outbound && profile.nat.ipv6;
  firewall.isolate = profile.isolate;
  auto first_address = [&](Family family) -> std::optional<std::string> {
    for (const auto& member : members)
      if (parse_recorded(member.address).family() == family) return member.address;
    return std::nullopt;
  };
  for (const auto& spec : specs) {
    std::vector<IpAddress> hosts;
    if (spec.host_address) {
      hosts.push_back(*spec.host_address);
    } else {
      for (auto family : {Family::v4, Family::v6})
        if (first_address(family)) hosts.push_back(unspecified(family));
    }
    if (hosts.empty()) refuse(spec, "the container has no address to publish it on");
    for (const auto& host : hosts) {
      auto address = first_address(host.family());
      if (!address) refuse(spec, "the container has no " + family_name(host.family()) + " address");
      for (unsigned i = 0; i <= static_cast<unsigned>(spec.host_last - spec.host_first); ++i)
        firewall.ports.push_back({host.str(), std::string(protocol_name(spec.protocol)),
                                  static_cast<std::uint16_t>(spec.host_first + i), *address,
                                  static_cast<std::uint16_t>(spec.container_first + i)});
    }
  }
  return firewall;
}

std::vector<HostPort> leased_ports(const LedgerFirewall& firewall) {
  std::set<HostPort> ports;
  for (const auto& port : firewall.ports)
    if (auto protocol = parse_protocol(port.protocol)) ports.insert({*protocol, port.host_port});
  return {ports.begin(), ports.end()};
}

std::vector<nft::Element> container_elements(const LedgerFirewall& firewall) {
  std::vector<nft::Element> out;
  for (const auto& member : firewall.members) {
    auto address = parse_recorded(member.address);
    auto suffix = family_suffix(address);
    nft::Element element{"members" + suffix, {}, {}};
    put_address(element.key, address);
    put_ifname(element.key, member.bridge);
    out.push_back(std::move(element));
    Bytes key;
    put_address(key, address);
    if (address.family() == Family::v4 ? firewall.nat4 : firewall.nat6) out.push_back({"nat" + suffix, key, {}});
    if (firewall.isolate) out.push_back({"isolated" + suffix, key, {}});
  }
  for (const auto& port : firewall.ports) {
    auto host = parse_recorded(port.host_address);
    auto address = parse_recorded(port.address);
    auto protocol = parse_protocol(port.protocol);
    if (!protocol) throw Error::input("ledger: not a protocol: " + quote_for_message(port.protocol));
    nft::Element element{(host.is_unspecified() ? "wild" : "ports") + family_suffix(address), {}, {}};
    if (!host.is_unspecified()) put_address(element.key, host);
    put_protocol(element.key, *protocol);
    put_port(element.key, port.host_port);
    put_address(element.data, address);
    put_port(element.data, port.port);
    out.push_back(std::move(element));
  }
  return out;
}

std::string describe_element(const nft::Element& element) {
  Reader key{element.key}, data{element.data};
  const std::string& set = element.set;
  Family family = set.ends_with("6") ? Family::v6 : Family::v4;
  // The fields are read in order, one statement each (the order in which the
  // operands of a + chain are evaluated is unspecified).
  std::vector<std::string> fields;
  if (set == kBridgeSet) {
    fields.push_back(key.ifname());
  } else if (set.starts_with("members")) {
    fields.push_back(key.address(family));
    fields.push_back(key.ifname());
  } else if (set.starts_with("nat") || set.starts_with("isolated")) {
    fields.push_back(key.address(family));
  } else if (set.starts_with("ports") || set.starts_with("wild")) {
    if (set.starts_with("ports")) fields.push_back(key.address(family));
    fields.push_back(key.protocol());
    fields.push_back(key.port());
  } else {
    fields.push_back("(" + std::to_string(element.key.size()) + " bytes)");
  }
  std::string text = set + " ";
  for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? " . " : "") + fields[i];
  if (!element.data.empty()) {
    auto address = data.address(family);
    auto port = data.port();
    text += " : " + address + " . " + port;
  }
  return text;
}

void prepare_host(const Profile& profile, const std::vector<std::string>& bridges, Logger& log) {
  if (profile.nat.outbound || profile.ports.enabled)
    switch_on("/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward",
              "profile " + profile.name + (profile.nat.outbound ? " masquerades" : " publishes ports"), log);
  if (profile.nat.ipv6)
    switch_on("/proc/sys/net/ipv6/conf/all/forwarding", "net.ipv6.conf.all.forwarding",
              "profile " + profile.name + " masquerades IPv6", log);
  // The host's own 127.0.0.1 reaches a published port only if the kernel may
  // route a loopback source out of the bridge; the skeleton's guard chain drops
  // what a container sends to 127.0.0.0/8 through it.
  if (profile.ports.enabled)
    for (const auto& bridge : bridges)
      switch_on("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "net.ipv4.conf." + bridge + ".route_localnet",
                "profile " + profile.name + " publishes ports on 127.0.0.1", log);
}

void firewall_add(const std::string& state_dir, const LedgerFirewall& firewall, FirewallLock& lock, Logger& log) {
  auto add = container_elements(firewall);
  if (add.empty()) return;
  for (auto& element : bridge_elements(firewall)) add.push_back(std::move(element));
  auto commit = [&] {
    try {
      nft::commit(kFirewallTable, add, {});
      return true;
    } catch (const Error& e) {
      if (e.code().value() != ENOENT) throw;
      return false;
    }
  };
  // A table flushed of its rules (`nft flush table inet hookwire`) keeps its sets,
  // so the commit succeeds into a table that does nothing: the rules are counted
  // too (one small dump), and such a table is rebuilt like a missing one.
  static const std::size_t expected_rules = skeleton_rules();
  auto intact = [&] { return commit() && nft::count_rules(kFirewallTable) == expected_rules; };
  if (intact()) return;
  // No table (first use, a flushed ruleset), one without a set of this skeleton
  // (an older one), or one without its rules: rebuilt, once, by whichever hook
  // gets here first.
  lock.set(FirewallLock::Mode::exclusive);
  if (!intact()) {
    auto restored = rebuild(state_dir);
    log.info("built nftables table inet hookwire, with the elements of " + std::to_string(restored) +
             " recorded container(s)");
  }
  lock.set(FirewallLock::Mode::shared);
}

std::size_t firewall_remove(const LedgerFirewall& firewall) {
  auto remove = container_elements(firewall);
  if (remove.empty()) return 0;
  try {
    nft::commit(kFirewallTable, {}, remove);
    return remove.size();
  } catch (const Error& e) {
    if (e.code().value() != ENOENT) throw;
  }
  // Some are gone already (a flushed ruleset, a teardown run twice): one by one.
  if (!nft::table_exists(kFirewallTable)) return 0;
  std::size_t removed = 0;
  for (const auto& element : remove) {
    try {
      nft::commit(kFirewallTable, {}, {element});
      ++removed;
    } catch (const Error& e) {
      if (e.code().value() != ENOENT) throw;
    }
  }
  return removed;
}

std::size_t firewall_reload(const std::string& state_dir) {
  make_dirs(state_dir, 0700);
  FirewallLock lock(state_dir, FirewallLock::Mode::exclusive);
  return rebuild(state_dir);
}

std::size_t skeleton_rules() {
  // The rules are the skeleton's lines indented into a chain, but its hook lines.
  std::size_t rules = 0;
  std::string text = firewall_skeleton();
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    if (line.starts_with("    ") && !line.starts_with("    type ")) ++rules;
    at = end + 1;
  }
  return rules;
}

std::vector<std::string> firewall_differences(const LedgerFirewall& firewall) {
  auto wanted = container_elements(firewall);
  if (wanted.empty()) return {};
  if (!nft::table_exists(kFirewallTable))
    return {"nftables table inet hookwire is missing (hookwire reload rebuilds it)"};
  // `nft flush table inet hookwire` keeps the sets and their elements, and takes
  // every rule that uses them.
  if (auto rules = nft::count_rules(kFirewallTable), expected = skeleton_rules(); rules != expected)
    return {"nftables table inet hookwire has " + std::to_string(rules) + " rules, its skeleton " +
            std::to_string(expected) + " (hookwire reload rebuilds it)"};
  for (auto& element : bridge_elements(firewall)) wanted.push_back(std::move(element));
  std::map<std::string, std::set<nft::Element>> present;
  std::vector<std::string> differences;
  for (const auto& element : wanted) {
    if (!present.count(element.set)) {
      auto listed = nft::list_elements(kFirewallTable, element.set);
      present[element.set] = {listed.begin(), listed.end()};
    }
    if (!present[element.set].count(element))
      differences.push_back("firewall element " + describe_element(element) + " is missing");
  }
  return differences;
}

std::vector<std::string> firewall_extras(const std::string& state_dir, bool dry_run) {
  if (!nft::table_exists(kFirewallTable)) return {};
  std::vector<nft::Element> listed;
  for (const char* set : kContainerSets) {
    auto some = nft::list_elements(kFirewallTable, set);
    listed.insert(listed.end(), some.begin(), some.end());
  }
  auto bridges = nft::list_elements(kFirewallTable, kBridgeSet);
  // By set and key alone: a recorded key with other data is a hook's at work
  // (deleting by key would take its element), never an extra.
  std::set<std::pair<std::string, std::vector<std::uint8_t>>> recorded;
  for (const auto& entry : recorded_entries(state_dir))
    for (auto& element : container_elements(entry.firewall)) recorded.insert({element.set, std::move(element.key)});
  std::vector<nft::Element> extras;
  for (auto& element : listed)
    if (!recorded.count({element.set, element.key})) extras.push_back(std::move(element));
  for (auto& element : bridges) {
    std::string name(reinterpret_cast<const char*>(element.key.data()),
                     strnlen(reinterpret_cast<const char*>(element.key.data()), element.key.size()));
    if (if_nametoindex(name.c_str()) == 0) extras.push_back(std::move(element));
  }
  std::vector<std::string> lines;
  for (const auto& element : extras) {
    if (!dry_run) {
      try {
        nft::commit(kFirewallTable, {}, {element});
      } catch (const Error& e) {
        if (e.code().value() != ENOENT) throw;
        continue;
      }
    }
    lines.push_back((dry_run ? "extra firewall element " : "removed firewall element ") + describe_element(element) +
                    (dry_run ? "" : " (no record)"));
  }
  return lines;
}

}  // namespace hookwire
