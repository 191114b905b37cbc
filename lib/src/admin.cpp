#include <hookwire/admin.h>

#include <hookwire/error.h>
#include <hookwire/inspect.h>
#include <hookwire/ipam.h>

#include "resolver_launch.h"
#include "dir_util.h"
#include "firewall.h"
#include "host_ports.h"
#include "fs_util.h"
#include "id_lock.h"
#include "json_util.h"
#include "log.h"
#include "netns_find.h"
#include "wire.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <set>
#include <unistd.h>

namespace hookwire {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string describe(const std::string& id, const Released& released) {
  std::vector<std::string> parts;
  if (!released.links.empty()) parts.push_back("links " + join(released.links));
  if (!released.addresses.empty()) parts.push_back("leases " + join(released.addresses));
  if (!released.ports.empty()) parts.push_back("host ports " + join(released.ports));
  if (released.elements) parts.push_back(std::to_string(released.elements) + " firewall element(s)");
  if (released.record) parts.push_back("record");
  return "released " + id + ": " + (parts.empty() ? "nothing left" : join(parts, "; "));
}

const InterfaceState* find_link(const std::vector<InterfaceState>& links, const std::string& name) {
  for (const auto& link : links)
    if (link.name == name) return &link;
  return nullptr;
}

// Removes leftovers of interrupted atomic writes (".tmp.*") in `dir`.
std::vector<std::string> remove_temp_files(const std::string& dir) {
  std::vector<std::string> removed;
  for (const auto& name : list_dir(dir)) {
    if (!name.starts_with(".tmp.")) continue;
    // Only a writer that died leaves one behind: its pid is the last field.
    auto dot = name.find_last_of('.');
    pid_t pid = static_cast<pid_t>(std::atoi(name.c_str() + dot + 1));
    if (pid > 0 && kill(pid, 0) == 0) continue;
    if (unlink((dir + "/" + name).c_str()) == 0) removed.push_back(dir + "/" + name);
  }
  return removed;
}

// gc of one recorded id, under its lock: the record and the netns are judged
// again now that no hook can be changing them.
std::optional<std::string> collect_id(const std::string& state_dir, const std::string& id, Logger& quiet,
                                      std::set<std::string>& live) {
  auto lock = IdLock::try_acquire(state_dir, id);
  if (!lock) {
    live.insert(id);  // a hook is at work on it: its leases are not orphans
    return "skipped " + id + ": a hook holds it";
  }
  Ledger ledger(state_dir);
  std::optional<LedgerEntry> entry;
  try {
    entry = ledger.find(id);
  } catch (const Error&) {
    auto line = describe(id, unwire_id_locked(state_dir, id, quiet)) + " (unreadable record)";
    lock->retire();
    return line;
  }
  if (!entry) {
    lock->retire();
    return std::nullopt;
  }
  if (find_recorded_netns(*entry)) {
    live.insert(id);
    return std::nullopt;
  }
  auto line = describe(id, unwire(state_dir, *entry)) + " (network namespace gone)";
  lock->retire();
  return line;
}

// A lease whose owner has no record, judged under the owner's lock: wire() writes
// the record before it takes the first lease, so with the lock held a lease
// without a record is an orphan.
bool release_orphan(const std::string& state_dir, const std::string& dir, const LeaseFile& lease) {
  auto lock = IdLock::try_acquire(state_dir, lease.owner);
  if (!lock) return false;
  if (Ledger(state_dir).holds(lease.owner)) return false;  // even unreadable: gc of that record is its own turn
  bool released = release_named_lease(dir, lease.name, lease.owner);
  lock->retire();
  return released;
}

// Lock files of ids with no record left: a hook that failed before it could retire one.
std::vector<std::string> remove_stale_locks(const std::string& state_dir) {
  std::vector<std::string> removed;
  Ledger ledger(state_dir);
  for (const auto& id : list_dir(lock_dir(state_dir))) {
    if (!is_valid_container_id(id)) continue;
    auto lock = IdLock::try_acquire(state_dir, id);
    if (!lock || ledger.holds(id)) continue;
    lock->retire();
    removed.push_back(lock_dir(state_dir) + "/" + id);
  }
  return removed;
}

// "10.99.0.0/16 via 10.213.0.254 dev eth1", as the profile wrote it.
std::string describe_route(const LedgerRoute& route) {
  std::string text = route.destination;
  if (!route.gateway.empty()) text += " via " + route.gateway;
  if (!route.interface_name.empty()) text += " dev " + route.interface_name;
  return text;
}

// Whether the kernel's main table holds the recorded route: same destination
// (as the kernel prints it: the network address, "default" for /0) and, when
// the record names one, the same gateway.
bool has_route(const std::vector<RouteState>& routes, const LedgerRoute& wanted) {
  auto cidr = Cidr::parse(wanted.destination);
  if (!cidr) return false;
  std::string destination = cidr->prefix == 0 ? "default" : cidr->network().str();
  auto gateway = IpAddress::parse(wanted.gateway);
  return std::any_of(routes.begin(), routes.end(), [&](const RouteState& route) {
    if (route.family != cidr->family() || route.destination != destination) return false;
    return !gateway || IpAddress::parse(route.gateway) == gateway;
  });
}

}  // namespace

std::vector<LedgerEntry> list_entries(const std::string& state_dir) {
  std::vector<LedgerEntry> out;
  if (!check_state_dir(state_dir, false)) return out;
  Ledger ledger(state_dir);
  for (const auto& id : ledger.ids()) {
    try {
      if (auto entry = ledger.find(id)) out.push_back(std::move(*entry));
    } catch (const Error&) {
      // Unreadable: gc's business, not a listing's.
    }
  }
  return out;
}

std::vector<std::string> check_container(const std::string& state_dir, const std::string& id) {
  if (!is_valid_container_id(id))
    throw Error::input(quote_for_message(id) +
                       " is not a valid container id (1-128 of A-Z a-z 0-9 _ + , . -, not starting with '.')");
  std::optional<LedgerEntry> entry;
  std::optional<IdLock> lock;
  if (check_state_dir(state_dir, false) && Ledger(state_dir).holds(id)) {
    // Compared under the lock, so a hook half-way through is not reported as damage.
    lock = IdLock::acquire(state_dir, id);
    entry = Ledger(state_dir).find(id);
  }
  if (!entry) throw Error::input("container " + id + ": no record in " + state_dir);
  std::vector<std::string> differences;
  auto host_links = list_interfaces();
  for (const auto& link : entry->links) {
    const auto* host = find_link(host_links, link.host);
    const auto* bridge = find_link(host_links, link.bridge);
    if (!host) {
      differences.push_back("host link " + link.host + " is missing");
      continue;
    }
    if (!host->up) differences.push_back("host link " + link.host + " is down");
    if (!bridge || host->master != bridge->index)
      differences.push_back("host link " + link.host + " is not on bridge " + link.bridge);
  }
  auto netns_path = find_recorded_netns(*entry);
  if (!netns_path) {
    differences.push_back("the container's network namespace no longer exists");
    return differences;
  }
  auto netns = NsHandle::open(*netns_path);
  std::vector<InterfaceState> links;
  std::vector<RouteState> routes;
  {
    NetnsGuard guard(netns.fd());
    links = list_interfaces();
    routes = list_routes();
  }
  std::set<std::string> present;
  for (const auto& link : links)
    for (const auto& address : link.addresses) present.insert(address.cidr.str());
  for (const auto& link : entry->links) {
    const auto* inside = find_link(links, link.container);
    if (!inside) {
      differences.push_back("container link " + link.container + " is missing");
    } else if (!inside->up) {
      differences.push_back("container link " + link.container + " is down");
    }
  }
  for (const auto& address : entry->addresses) {
    if (!present.count(address.cidr)) differences.push_back("address " + address.cidr + " is missing");
    auto cidr = Cidr::parse(address.cidr);
    if (!cidr || address.pool.empty()) continue;
    bool has_default = std::any_of(routes.begin(), routes.end(), [&](const RouteState& route) {
      return route.family == cidr->family() && route.destination == "default";
    });
    if (!has_default)
      differences.push_back(std::string("default ") + (cidr->family() == Family::v4 ? "IPv4" : "IPv6") +
                            " route is missing");
  }
  for (const auto& route : entry->routes) {
    if (!has_route(routes, route)) differences.push_back("route " + describe_route(route) + " is missing");
  }
  for (const auto& port : leased_ports(entry->firewall)) {
    auto holders = read_lease_dir(host_port_dir(state_dir), LeaseKind::host_port);
    auto name = host_port_name(port);
    bool held = std::any_of(holders.begin(), holders.end(),
                            [&](const LeaseFile& lease) { return lease.name == name && lease.owner == id; });
    if (!held)
      differences.push_back("host port " + std::to_string(port.port) + "/" + std::string(protocol_name(port.protocol)) +
                            " is not leased to it");
  }
  for (auto& line : firewall_differences(entry->firewall)) differences.push_back(std::move(line));
  if (!entry->dns.empty() && (entry->status == "wired" || entry->status == "running") && !resolver_running(state_dir))
    differences.push_back("no resolver runs: its names are not served (the next hook starts hookwire-dns)");
  return differences;
}

std::size_t reload_firewall(const std::string& state_dir) {
  check_state_dir(state_dir, true);
  return firewall_reload(state_dir);
}

std::vector<std::string> firewall_extra_elements(const std::string& state_dir) {
  return firewall_extras(state_dir, true);
}

std::vector<std::string> collect_garbage(const std::string& state_dir) {
  std::vector<std::string> lines;
  if (!check_state_dir(state_dir, false)) return lines;
  Logger quiet("hookwire gc", LogLevel::error);
  Ledger ledger(state_dir);
  std::set<std::string> live;
  for (const auto& id : ledger.ids())
    if (auto line = collect_id(state_dir, id, quiet, live)) lines.push_back(*line);
  std::vector<std::pair<std::string, LeaseKind>> lease_dirs;
  for (const auto& dir : pool_dirs(state_dir)) lease_dirs.emplace_back(dir, LeaseKind::address);
  lease_dirs.emplace_back(host_port_dir(state_dir), LeaseKind::host_port);
  for (const auto& [dir, kind] : lease_dirs) {
    for (const auto& lease : read_lease_dir(dir, kind)) {
      std::string path = dir + "/" + lease.name;
      if (!lease.valid) {
        if (remove_stray_lease_file(dir, lease.name, kind))
          lines.push_back("removed " + path + " (not a lease hookwire wrote)");
        continue;
      }
      if (live.count(lease.owner)) continue;
      if (release_orphan(state_dir, dir, lease))
        lines.push_back("released lease " + lease.name + " of " + lease.owner + " (no record)");
    }
    for (const auto& path : remove_temp_files(dir)) lines.push_back("removed " + path + " (interrupted write)");
  }
  for (const auto& path : remove_temp_files(ledger.dir())) lines.push_back("removed " + path + " (interrupted write)");
  for (auto& line : firewall_extras(state_dir, false)) lines.push_back(std::move(line));
  for (const auto& path : remove_stale_locks(state_dir)) lines.push_back("removed " + path + " (stale lock)");
  return lines;
}

}  // namespace hookwire
