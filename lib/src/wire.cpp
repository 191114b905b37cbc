#include "wire.h"

#include <hookwire/bridge.h>
#include <hookwire/error.h>
#include <hookwire/ipam.h>
#include <hookwire/network.h>

#include "bundle.h"
#include "conntrack.h"
#include "dns_name.h"
#include "fault.h"
#include "firewall.h"
#include "fs_util.h"
#include "json_util.h"
#include "host_ports.h"
#include "id_lock.h"
#include "netns_find.h"
#include "resolver_launch.h"

#include <cstdio>
#include <set>

namespace hookwire {

namespace {

// How many hashed host link names unwire_id tries when the record is unreadable.
constexpr std::size_t kMaxDerivedLinks = 4;

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

// A veth of the profile with everything resolved for this container.
struct PlannedVeth {
  std::size_t index;  // in profile.config.networks
  Network network;
};

std::vector<PlannedVeth> plan_veths(const Profile& profile, const State& state, const Choices& choices) {
  std::vector<PlannedVeth> out;
  const auto& networks = profile.config.networks;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (networks[i].type != "veth") continue;
    Network network = networks[i];
    if (network.host_interface_name.empty()) network.host_interface_name = host_link_name(state.id, out.size());
    if (out.empty() && choices.mac) network.mac_address = choices.mac->str();
    // Where the kernel bridges netfilter (br_netfilter), a container that reaches
    // its own published port gets its packet back through its own bridge port.
    if (!choices.ports.empty()) network.hairpin_mode = true;
    out.push_back({i, std::move(network)});
  }
  if (choices.ip && (!profile.ipv4 || out.empty()))
    throw Error::input("annotation io.hookwire.ip: profile " + profile.name + " has no IPv4 pool");
  if (choices.ip6 && (!profile.ipv6 || out.empty()))
    throw Error::input("annotation io.hookwire.ip6: profile " + profile.name + " has no IPv6 pool");
  if (choices.ip && !profile.ipv4->subnet.contains(*choices.ip))
    throw Error::input("annotation io.hookwire.ip: " + choices.ip->str() + " is outside the pool " +
                       profile.ipv4->subnet.str());
  if (choices.ip6 && !profile.ipv6->subnet.contains(*choices.ip6))
    throw Error::input("annotation io.hookwire.ip6: " + choices.ip6->str() + " is outside the pool " +
                       profile.ipv6->subnet.str());
  return out;
}

// Undoes a wiring in progress unless dismissed: firewall elements, host ports,
// leases, then the ledger record. (The links are the Wiring's own business.)
class LeaseRollback {
 public:
  LeaseRollback(const Ledger& ledger, const std::string& state_dir, const std::string& id)
      : ledger_(ledger), state_dir_(state_dir), id_(id) {}
  ~LeaseRollback() {
    if (dismissed_) return;
    try {
      if (firewall_) firewall_remove(*firewall_);
    } catch (...) {
      // Best effort, as below; gc deletes elements that no record holds.
    }
    try {
      for (const auto& port : ports_) release_host_port(state_dir_, port, id_);
      for (auto& [pool, ip] : leases_) pool.release(ip, id_);
      ledger_.remove(id_);
    } catch (...) {
      // Best effort: gc finds whatever is left, and the error being thrown matters more.
    }
  }
  void add(const Pool& pool, const IpAddress& ip) { leases_.emplace_back(pool, ip); }
  void add(const HostPort& port) { ports_.push_back(port); }
  void added(const LedgerFirewall& firewall) { firewall_ = &firewall; }
  void dismiss() { dismissed_ = true; }

 private:
  const Ledger& ledger_;
  const std::string& state_dir_;
  const std::string& id_;
  std::vector<std::pair<Pool, IpAddress>> leases_;
  std::vector<HostPort> ports_;
  const LedgerFirewall* firewall_ = nullptr;
  bool dismissed_ = false;
};

// A flow to a host port that began before the port was published (a client that
// kept sending UDP to it) is not NATed, and conntrack would keep it so: it
// would never reach the container (CNI plugins#123). TCP flows without a
// listener die by themselves.
void forget_shadowing_flows(const std::vector<HostPort>& ports, Logger& log) {
  std::vector<HostPort> datagram_ports;
  for (const auto& port : ports)
    if (port.protocol != Protocol::tcp) datagram_ports.push_back(port);
  if (datagram_ports.empty()) return;
  try {
    forget_conntrack({}, datagram_ports, PortFlows::not_nated);
  } catch (const Error& e) {
    log.warning(std::string("could not forget the flows that shadow its ports: ") + e.what());
  }
}

// The container's addresses, each with the bridge of its veth.
std::vector<LedgerMember> members_of(const std::vector<PlannedVeth>& planned) {
  std::vector<LedgerMember> members;
  for (const auto& veth : planned)
    for (const auto* text : {&veth.network.address, &veth.network.ipv6_address})
      if (auto cidr = Cidr::parse(*text)) members.push_back({cidr->address.str(), veth.network.bridge});
  return members;
}

// The names the container answers to on its first veth's network, when its
// profile serves names: its hostname (from the bundle), its id, its aliases.
LedgerNames plan_names(const Profile& profile, const State& state, const Choices& choices,
                       const std::vector<PlannedVeth>& planned, Logger& log) {
  if (!profile.dns.names) {
    if (!choices.aliases.empty())
      throw Error::input("annotation io.hookwire.aliases: profile " + profile.name + " serves no names (dns.names)");
    return {};
  }
  LedgerNames dns;
  if (planned.empty()) return dns;
  std::string hostname;
  try {
    if (auto bundle = read_bundle_config(state.bundle)) hostname = bundle->hostname;
  } catch (const Error& e) {
    log.warning(std::string("no hostname for the resolver: ") + e.what());
  }
  if (!hostname.empty() && !is_valid_dns_name(hostname))
    log.warning("the hostname " + quote_for_message(hostname) + " is not a host name; the resolver does not serve it");
  dns.bridge = planned.front().network.bridge;
  dns.domain = profile.dns.domain;
  dns.names = container_names(state.id, hostname, choices.aliases);
  for (const auto* pool : {&profile.ipv4, &profile.ipv6})
    if (*pool) {
      dns.servers.push_back((*pool)->gateway.str());
      dns.clients.push_back((*pool)->subnet.str());
    }
  return dns;
}

// The wiring proper, under the id's lock: stale records, intent, leases, bridge,
// links, routes, the completed record, then the chained hooks.
void wire_locked(HookName stage, const std::string& state_dir, const State& state, const Profile& profile,
                 const Choices& choices, std::vector<PlannedVeth> planned, LedgerNames dns_names, const NsHandle& netns,
                 Logger& log) {
  Ledger ledger(state_dir);
  std::optional<LedgerEntry> existing;
  try {
    existing = ledger.find(state.id);
  } catch (const Error& e) {
    log.warning(std::string("unreadable record, cleaning it up: ") + e.what());
    unwire_id_locked(state_dir, state.id, log);
  }
  if (existing) {
    if (is_recorded_netns(*existing, netns.fd()) && existing->status != "wiring") {
      log.info("already wired; nothing to do");
      profile.config.hooks.run(stage, state);
      return;
    }
    log.info("cleaning up a stale record for this id (" + existing->status + ")");
    unwire(state_dir, *existing);
  }

  // With several bridges, the first would be made before the last is found to be
  // something else: every name is judged before anything changes (exit 2 means
  // that nothing did).
  std::set<std::string> bridges;
  for (const auto& veth : planned) bridges.insert(veth.network.bridge);
  if (bridges.size() > 1)
    for (const auto& bridge : bridges) check_bridge_name(bridge);

  // The intent goes on record before the first change, so a crash at any later
  // point leaves a record that poststop or gc can undo.
  LedgerEntry entry;
  entry.id = state.id;
  entry.profile = profile.name;
  entry.status = "wiring";
  entry.netns = netns.id();
  entry.netns_cookie = netns_cookie(netns.fd());
  entry.netns_path = netns.path();
  entry.pid = state.pid.value_or(0);
  for (const auto& veth : planned)
    entry.links.push_back({veth.network.host_interface_name, veth.network.name, veth.network.bridge});
  for (const auto& route : profile.config.routes)
    entry.routes.push_back({route.destination, route.gateway, route.source, route.interface_name});
  if (profile.ipv4) entry.pools.push_back(profile.ipv4->key());
  if (profile.ipv6) entry.pools.push_back(profile.ipv6->key());
  entry.dns = std::move(dns_names);
  ledger.write(entry);
  fault_point("intent recorded");

  // Declared before the rollback, so that a rollback runs under it too.
  std::optional<FirewallLock> firewall_lock;
  LeaseRollback lease_rollback(ledger, state_dir, state.id);
  std::map<std::string, std::set<Cidr>> bridge_addresses;
  // One default route per family: the first veth without a gateway of its own
  // gets the pool's, the others would only collide with it (EEXIST).
  bool default4 = false, default6 = false;
  for (const auto& veth : planned) {
    default4 |= !veth.network.gateway.empty();
    default6 |= !veth.network.ipv6_gateway.empty();
  }
  // Leases one family's address for `network` unless the profile fixed it.
  auto lease = [&](const std::optional<PoolSpec>& spec, std::optional<IpAddress> requested, std::string& address,
                   std::string& gateway, bool& has_default, const std::string& bridge) {
    if (!address.empty() || !spec) {
      if (!address.empty()) entry.addresses.push_back({address, ""});
      return;
    }
    Pool pool(state_dir, *spec);
    auto ip = pool.allocate(state.id, requested);
    lease_rollback.add(pool, ip);
    address = Cidr{ip, spec->subnet.prefix}.str();
    if (gateway.empty() && !has_default) {
      gateway = spec->gateway.str();
      has_default = true;
    }
    bridge_addresses[bridge].insert(spec->gateway_cidr());
    entry.addresses.push_back({address, spec->key()});
  };
  for (std::size_t n = 0; n < planned.size(); ++n) {
    auto& network = planned[n].network;
    bridge_addresses[network.bridge];
    lease(profile.ipv4, n == 0 ? choices.ip : std::nullopt, network.address, network.gateway, default4, network.bridge);
    lease(profile.ipv6, n == 0 ? choices.ip6 : std::nullopt, network.ipv6_address, network.ipv6_gateway, default6,
          network.bridge);
  }
  fault_point("addresses leased");

  // The firewall facts go on record before the first element, so that poststop
  // or gc can undo them after a crash at any later point; a published port only
  // once its host port is leased, so that no teardown of this record ever takes
  // the element of a port that another container holds. From here on, no table
  // rebuild reads this record half-done (FirewallLock).
  auto firewall = plan_firewall(profile, choices.ports, members_of(planned));
  firewall_lock.emplace(state_dir, FirewallLock::Mode::shared);
  entry.firewall = firewall;
  entry.firewall.ports.clear();
  lease_rollback.added(entry.firewall);
  ledger.write(entry);
  auto host_ports = leased_ports(firewall);
  for (const auto& port : host_ports) {
    lease_host_port(state_dir, port, state.id);
    lease_rollback.add(port);
  }
  if (!host_ports.empty()) {
    entry.firewall.ports = firewall.ports;
    ledger.write(entry);
  }
  fault_point("ports leased");

  std::vector<std::string> bridge_names;
  for (const auto& [bridge, addresses] : bridge_addresses) {
    ensure_bridge({bridge, std::vector<Cidr>(addresses.begin(), addresses.end())});
    bridge_names.push_back(bridge);
  }
  fault_point("bridge ensured");
  prepare_host(profile, bridge_names, log);

  Wiring wiring(netns, owner_alias(state.id));
  std::size_t next_veth = 0;
  for (const auto& network : profile.config.networks) {
    if (network.type == "loopback") {
      wiring.add_loopback();
    } else {
      wiring.add_veth(planned[next_veth++].network);
    }
    fault_point("network added");
  }
  for (const auto& route : profile.config.routes) {
    wiring.add_route(route);
    fault_point("route added");
  }

  firewall_add(state_dir, entry.firewall, *firewall_lock, log);
  fault_point("firewall added");
  forget_shadowing_flows(host_ports, log);

  entry.status = "wired";
  ledger.write(entry);
  fault_point("record completed");

  profile.config.hooks.run(stage, state);
  wiring.commit();
  lease_rollback.dismiss();

  std::vector<std::string> names, addresses;
  for (const auto& link : entry.links) names.push_back(link.container + "<->" + link.host + "@" + link.bridge);
  for (const auto& address : entry.addresses) addresses.push_back(address.cidr);
  std::vector<std::string> ports;
  for (const auto& port : entry.firewall.ports)
    ports.push_back(
        (port.host_address.find(':') != std::string::npos ? "[" + port.host_address + "]" : port.host_address) + ":" +
        std::to_string(port.host_port) + "->" + std::to_string(port.port) + "/" + port.protocol);
  log.info("wired " + join(names) + (addresses.empty() ? "" : " with " + join(addresses)) +
           (ports.empty() ? "" : ", publishing " + join(ports)) +
           (entry.dns.empty() ? "" : ", named " + join(entry.dns.names)) + " (profile " + profile.name + ")");
}

}  // namespace

std::string host_link_name(std::string_view id, std::size_t index) {
  std::string key(id);
  if (index > 0) key.append("#").append(std::to_string(index));  // not "#" + ...: a false -Wrestrict in GCC 12 -O3
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "hw%013llx", static_cast<unsigned long long>(fnv1a64(key) & 0xfffffffffffffULL));
  return buffer;
}

void wire(HookName stage, const std::string& state_dir, const State& state, const Profile& profile,
          const Choices& choices, Logger& log) {
  auto planned = plan_veths(profile, state, choices);
  check_ports(profile, choices.ports);
  auto names = plan_names(profile, state, choices, planned, log);
  auto netns = find_container_netns(state);
  if (!netns) {
    log.warning("no network namespace to wire (no pid, and no namespace path in the bundle); skipping");
    profile.config.hooks.run(stage, state);
    return;
  }
  if (netns->id() == current_netns_id()) {
    log.warning("the container shares the runtime's network namespace; not wiring it");
    profile.config.hooks.run(stage, state);
    return;
  }
  check_state_dir(state_dir, true);
  // Held to the end: no gc, check or teardown of this id acts on the record while
  // it is being written (id_lock.h).
  auto lock = IdLock::acquire(state_dir, state.id);
  try {
    wire_locked(stage, state_dir, state, profile, choices, std::move(planned), std::move(names), *netns, log);
  } catch (...) {
    // Rolled back: with no record left, the lock file goes too.
    try {
      if (!Ledger(state_dir).holds(state.id)) lock.retire();
    } catch (const Error&) {
      // The failure being reported matters more; gc removes a stale lock file.
    }
    throw;
  }
  // Its names resolve from the moment the record says "wired": the resolver
  // reads the ledger itself; here it is only made sure to run.
  if (profile.dns.names) ensure_resolver(state_dir, log);
}

Released unwire(const std::string& state_dir, const LedgerEntry& entry) {
  Released released;
  for (const auto& link : entry.links)
    if (remove_host_link(link.host, owner_alias(entry.id))) released.links.push_back(link.host);
  // From the elements' deletion to the record's, no table rebuild may read the
  // record and bring its elements back (FirewallLock).
  std::optional<FirewallLock> firewall_lock;
  if (!entry.firewall.empty()) firewall_lock.emplace(state_dir, FirewallLock::Mode::shared);
  // The elements go before the leases: a failure here leaves the record, the
  // leases and the elements together, for the next poststop or gc. A published
  // port's element goes only if its host port is leased to this id: wire records
  // ports only once leased, and this keeps it so even for a record written by hand.
  LedgerFirewall firewall = entry.firewall;
  std::erase_if(firewall.ports, [&](const LedgerPort& port) {
    auto protocol = parse_protocol(port.protocol);
    return !protocol || !holds_host_port(state_dir, {*protocol, port.host_port}, entry.id);
  });
  released.elements = firewall_remove(firewall);
  // Its flows go while its addresses are still its own: once released, an
  // address may be the next container's, and so would the flows be. Only a
  // NATed flow carries a binding that would follow the address (a masqueraded
  // or published container's); without NAT an entry steers nothing, and the
  // dump costs 2-3 ms whatever the table holds (it walks every hash bucket).
  if (entry.firewall.nat4 || entry.firewall.nat6 || !entry.firewall.ports.empty()) {
    std::vector<IpAddress> addresses;
    for (const auto& member : entry.firewall.members)
      if (auto ip = IpAddress::parse(member.address)) addresses.push_back(*ip);
    try {
      released.flows = forget_conntrack(addresses, {});
    } catch (const Error& e) {
      released.conntrack_error = e.what();
    }
  }
  std::vector<HostPort> ports;
  if (entry.status == "wiring") {
    ports = release_host_ports_of(state_dir, entry.id);
  } else {
    for (const auto& port : leased_ports(entry.firewall))
      if (release_host_port(state_dir, port, entry.id)) ports.push_back(port);
  }
  for (const auto& port : ports)
    released.ports.push_back(std::to_string(port.port) + "/" + std::string(protocol_name(port.protocol)));
  if (entry.status == "wiring") {
    // A crash may have leased addresses the record never got to list.
    for (const auto& key : entry.pools) {
      auto some = release_owner(pool_dir(state_dir, key), entry.id);
      released.addresses.insert(released.addresses.end(), some.begin(), some.end());
    }
  } else {
    for (const auto& address : entry.addresses) {
      auto cidr = Cidr::parse(address.cidr);
      if (address.pool.empty() || !cidr) continue;
      if (release_lease(pool_dir(state_dir, address.pool), cidr->address, entry.id))
        released.addresses.push_back(cidr->address.str());
    }
  }
  released.record = Ledger(state_dir).remove(entry.id);
  return released;
}

Released unwire_id(const std::string& state_dir, const std::string& id, Logger& log) {
  auto lock = IdLock::acquire(state_dir, id);
  auto released = unwire_id_locked(state_dir, id, log);
  lock.retire();
  return released;
}

Released unwire_id_locked(const std::string& state_dir, const std::string& id, Logger& log) {
  Ledger ledger(state_dir);
  try {
    auto entry = ledger.find(id);
    if (!entry) return {};
    return unwire(state_dir, *entry);
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::input) throw;
    log.warning(std::string("record unreadable, unwiring by id: ") + e.what());
  }
  Released released;
  for (std::size_t i = 0; i < kMaxDerivedLinks; ++i) {
    auto name = host_link_name(id, i);
    if (remove_host_link(name, owner_alias(id))) released.links.push_back(name);
  }
  // Its elements are unknown without the record: every element that no readable
  // record holds goes, before its addresses and ports can be anyone else's.
  released.elements = firewall_extras(state_dir, false).size();
  released.addresses = release_everywhere(state_dir, id);
  for (const auto& port : release_host_ports_of(state_dir, id))
    released.ports.push_back(std::to_string(port.port) + "/" + std::string(protocol_name(port.protocol)));
  released.record = ledger.remove(id);
  return released;
}

}  // namespace hookwire
