// hookwire-bench-floor: the in-process floor for bench/run.sh. A long-lived server
// that does, on request, the work of a hook without starting a process, so the
// driver can interleave it with the real hook binaries and time both the same way.
//
// One request per line on stdin, one answer per line on stdout ("RC NANOSECONDS"):
//   hook STAGE STATE_FILE ARG...   hookwire::hook_main(STAGE, ARG...) with STATE_FILE
//                                  on stdin: everything a hook binary does after exec
//   netlink PID HOST_LINK [BRIDGE] only the netlink part of the default profile's
//                                  wiring: ensure_bridge, lo up, veth, addresses, routes
//                                  (onto BRIDGE instead of hookwire0 when given)
//   netlink-nodad PID HOST_LINK [BRIDGE]
//                                  a prototype of the same wiring with fewer steps: no
//                                  setns for it, no address dump for lo, and lo up in
//                                  the same batch as the rest. (Its first idea, no
//                                  /proc/sys write, went into the library in f74f6f0.)
//   firewall-add STATE_DIR ADDRESS BRIDGE HOST_PORT
//                                  firewall_add of one container's firewall facts, as
//                                  a profile with outbound NAT and two published ports
//                                  gives them: ADDRESS on BRIDGE, masqueraded, isolated,
//                                  tcp HOST_PORT and HOST_PORT+1 to ports 80 and 81 (its
//                                  elements and the bridge's, in one transaction), with
//                                  STATE_DIR/firewall.lock taken shared first, as wire does
//   firewall-remove ADDRESS BRIDGE HOST_PORT
//                                  firewall_remove of the same facts
//   conntrack ADDRESS HOST_PORT    forget_conntrack of ADDRESS and tcp HOST_PORT and
//                                  HOST_PORT+1: one dump of the conntrack table, as
//                                  poststop does
//   addrs PATH                     not timed: "0 0 LO_UP ADDRESS..." for the netns at
//                                  PATH, where ADDRESS are eth0's global ones
//   quit
// The time is taken with CLOCK_MONOTONIC around the call alone.
#include <hookwire/bridge.h>
#include <hookwire/error.h>
#include <hookwire/inspect.h>
#include <hookwire/namespaces.h>
#include <hookwire/network.h>
#include <hookwire/stage.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fcntl.h>
#include <iostream>
#include <sys/random.h>

#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

#include "conntrack.h"
#include "firewall.h"
#include "log.h"
#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/rtnl_socket.h"
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::optional<hookwire::HookName> stage_of(const std::string& name) {
  using hookwire::HookName;
  if (name == "create-runtime") return HookName::create_runtime;
  if (name == "poststop") return HookName::poststop;
  if (name == "poststart") return HookName::poststart;
  if (name == "prestart") return HookName::prestart;
  return std::nullopt;
}

// hook_main, fed STATE_FILE on fd 0 as a runtime would feed it.
int run_hook(hookwire::HookName stage, const std::string& state_file, std::vector<std::string> args,
             std::int64_t& elapsed) {
  int fd = open(state_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 100;
  dup2(fd, STDIN_FILENO);
  close(fd);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::int64_t start = now_ns();
  int rc = hookwire::hook_main(stage, static_cast<int>(args.size()), argv.data());
  elapsed = now_ns() - start;
  return rc;
}

// The default profile's wiring with the addresses already chosen: no State, no
// profile, no leases, no ledger.
int run_netlink(int pid, const std::string& host_link, const std::string& bridge, std::int64_t& elapsed) {
  using namespace hookwire;
  auto ns = NsHandle::open("/proc/" + std::to_string(pid) + "/ns/net");
  Network eth0;
  eth0.type = "veth";
  eth0.name = "eth0";
  eth0.bridge = bridge;
  eth0.host_interface_name = host_link;
  eth0.address = "10.213.250.2/16";
  eth0.gateway = "10.213.0.1";
  eth0.ipv6_address = "fd00:213::fa:2/64";
  eth0.ipv6_gateway = "fd00:213::1";
  std::int64_t start = now_ns();
  ensure_bridge({bridge, {*Cidr::parse("10.213.0.1/16"), *Cidr::parse("fd00:213::1/64")}});
  Wiring wiring(ns);
  wiring.add_loopback();
  wiring.add_veth(eth0);
  wiring.commit();
  elapsed = now_ns() - start;
  return 0;
}

// The prototype: Wiring's add_veth and add_loopback in fewer steps. It began as the
// replacement of the sysctl write (the accept_dad of the peer, through /proc/sys,
// whose path lookup walks a dcache chain that grows with the number of netns
// holding an "eth0") by netlink, which the library now does too. No rollback: this
// measures the requests only.
int run_netlink_nodad(int pid, const std::string& host_link, const std::string& bridge, std::int64_t& elapsed) {
  using namespace hookwire;
  namespace nl = hookwire::netlink;
  auto ns = NsHandle::open("/proc/" + std::to_string(pid) + "/ns/net");
  MacAddress mac;
  if (getrandom(mac.bytes.data(), mac.bytes.size(), 0) != 6) return 1;
  mac.bytes[0] = static_cast<std::uint8_t>((mac.bytes[0] & 0xfe) | 0x02);
  std::uint8_t ll[16] = {0xfe, 0x80};  // fe80::/64 with the modified EUI-64 of the MAC
  ll[8] = mac.bytes[0] ^ 0x02, ll[9] = mac.bytes[1], ll[10] = mac.bytes[2], ll[11] = 0xff;
  ll[12] = 0xfe, ll[13] = mac.bytes[3], ll[14] = mac.bytes[4], ll[15] = mac.bytes[5];
  const Cidr link_local{IpAddress::from_bytes(Family::v6, ll), 64};
  const Cidr v4 = *Cidr::parse("10.213.250.2/16"), v6 = *Cidr::parse("fd00:213::fa:2/64");
  const IpAddress gw4 = *IpAddress::parse("10.213.0.1"), gw6 = *IpAddress::parse("fd00:213::1");

  std::int64_t start = now_ns();
  ensure_bridge({bridge, {*Cidr::parse("10.213.0.1/16"), *Cidr::parse("fd00:213::1/64")}});
  nl::Socket host;
  nl::Socket inside = [&] {
    NetnsGuard guard(ns.fd());
    return nl::Socket();
  }();
  auto lo = nl::find_link(inside, "lo");
  auto br = nl::find_link(host, bridge);
  if (!lo || !br) return 1;
  nl::VethSpec spec{host_link, "eth0", ns.fd(), br->index, 0, 0, mac};
  int peer_index = 0;
  auto created = host.try_request(nl::create_veth_request(spec).get(), [&](const nlmsghdr& nlh) {
    auto info = nl::parse_link(nlh);
    if (info && info->name == host_link) peer_index = info->link;
  });
  if (!created.ok() || !peer_index) return 1;

  nl::LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(change.get(), peer_index);
  nl::check_built(rtnl_link_inet6_set_addr_gen_mode(change.get(), IN6_ADDR_GEN_MODE_NONE), "set addr_gen_mode");
  nl_msg* gen_mode = nullptr;
  nl::check_built(rtnl_link_build_change_request(change.get(), change.get(), 0, &gen_mode), "build change");
  std::vector<nl::Request> batch;
  batch.push_back({nl::MsgPtr(gen_mode), "addr_gen_mode none"});
  batch.push_back({nl::set_link_up_request(lo->index, true), "lo up"});
  batch.push_back({nl::add_address_request(peer_index, link_local), "add link-local"});
  batch.push_back({nl::add_address_request(peer_index, v4), "add v4"});
  batch.push_back({nl::add_address_request(peer_index, v6), "add v6"});
  batch.push_back({nl::set_link_up_request(peer_index, true), "eth0 up"});
  for (const auto& gateway : {gw4, gw6}) {
    std::uint8_t zeros[16] = {};
    auto route = nl::route_requests({Cidr{IpAddress::from_bytes(gateway.family(), zeros), 0}, gateway, {}, peer_index});
    batch.push_back({std::move(route.add), "default route"});
  }
  inside.request_all(batch);
  elapsed = now_ns() - start;
  return 0;
}

// The firewall facts of one container of a world profile: NAT, isolation, two ports.
hookwire::LedgerFirewall world_facts(const std::string& address, const std::string& bridge, int host_port) {
  hookwire::LedgerFirewall firewall;
  firewall.members.push_back({address, bridge});
  firewall.nat4 = true;
  firewall.isolate = true;
  for (int i = 0; i < 2; ++i)
    firewall.ports.push_back(
        {"0.0.0.0", "tcp", static_cast<std::uint16_t>(host_port + i), address, static_cast<std::uint16_t>(80 + i)});
  return firewall;
}

// What the concurrency check needs to know of a container: is lo up, and which
// global addresses does eth0 hold.
std::string describe_netns(const std::string& path) {
  using namespace hookwire;
  auto ns = NsHandle::open(path);
  NetnsGuard inside(ns.fd());
  bool lo_up = false;
  std::string addresses;
  for (const auto& link : list_interfaces()) {
    if (link.name == "lo") lo_up = link.up;
    if (link.name != "eth0") continue;
    for (const auto& address : link.addresses) {
      const auto* b = address.cidr.address.data();
      bool link_local = address.cidr.family() == Family::v6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
      if (!link_local) addresses += " " + address.cidr.address.str();
    }
  }
  return (lo_up ? "1" : "0") + addresses;
}

}  // namespace

int main() {
  // Requests come on the original stdin and answers leave on the original stdout;
  // fd 0 is reused for each hook's State, and fd 1 goes nowhere.
  FILE* requests = fdopen(dup(STDIN_FILENO), "r");
  FILE* answers = fdopen(dup(STDOUT_FILENO), "w");
  if (!requests || !answers) return 1;
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  dup2(null_fd, STDOUT_FILENO);

  char* line = nullptr;
  std::size_t capacity = 0;
  while (getline(&line, &capacity, requests) > 0) {
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    if (verb == "quit" || verb.empty()) break;
    int rc = 0;
    std::int64_t elapsed = 0;
    try {
      if (verb == "hook") {
        std::string stage_name, state_file, arg;
        words >> stage_name >> state_file;
        auto stage = stage_of(stage_name);
        std::vector<std::string> args{"hookwire-" + stage_name};
        while (words >> arg) args.push_back(arg);
        rc = stage ? run_hook(*stage, state_file, args, elapsed) : 101;
      } else if (verb == "addrs") {
        std::string path;
        words >> path;
        std::fprintf(answers, "0 0 %s\n", describe_netns(path).c_str());
        std::fflush(answers);
        continue;
      } else if (verb == "firewall-add" || verb == "firewall-remove") {
        std::string state_dir, address, bridge;
        int host_port = 0;
        if (verb == "firewall-add") words >> state_dir;
        words >> address >> bridge >> host_port;
        auto facts = world_facts(address, bridge, host_port);
        hookwire::Logger log("hookwire-bench-floor", hookwire::LogLevel::warning);
        std::int64_t start = now_ns();
        if (verb == "firewall-add") {
          hookwire::FirewallLock lock(state_dir, hookwire::FirewallLock::Mode::shared);
          hookwire::firewall_add(state_dir, facts, lock, log);
        } else {
          rc = hookwire::firewall_remove(facts) == 5 ? 0 : 3;
        }
        elapsed = now_ns() - start;
      } else if (verb == "conntrack") {
        std::string address;
        int host_port = 0;
        words >> address >> host_port;
        std::vector<hookwire::IpAddress> addresses{*hookwire::IpAddress::parse(address)};
        std::vector<hookwire::HostPort> ports{{hookwire::Protocol::tcp, static_cast<std::uint16_t>(host_port)},
                                              {hookwire::Protocol::tcp, static_cast<std::uint16_t>(host_port + 1)}};
        std::int64_t start = now_ns();
        hookwire::forget_conntrack(addresses, ports);
        elapsed = now_ns() - start;
      } else if (verb == "netlink-nodad") {
        int pid = 0;
        std::string host_link, bridge;
        words >> pid >> host_link;
        if (!(words >> bridge)) bridge = "hookwire0";
        rc = run_netlink_nodad(pid, host_link, bridge, elapsed);
      } else if (verb == "netlink") {
        int pid = 0;
        std::string host_link, bridge;
        words >> pid >> host_link;
        if (!(words >> bridge)) bridge = "hookwire0";
        rc = run_netlink(pid, host_link, bridge, elapsed);
      } else {
        rc = 102;
      }
    } catch (const std::exception& e) {
      std::cerr << "hookwire-bench-floor: " << verb << ": " << e.what() << "\n";
      rc = 1;
    }
    std::fprintf(answers, "%d %lld\n", rc, static_cast<long long>(elapsed));
    std::fflush(answers);
  }
  std::free(line);
  return 0;
}
