// The integration tests' world: throwaway network namespaces that die with the test
// process, and an independent view of them through iproute2's JSON output.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hookwire/bridge.h>
#include <hookwire/config.h>
#include <hookwire/namespaces.h>
#include <hookwire/network.h>

namespace lab {

using nlohmann::json;

/// A network namespace that exists only while this object (or another fd) holds it:
/// unshare(2) on the calling thread, keep the fd, setns back. No bind mount, so
/// even a crashed test leaves nothing behind.
class ThrowawayNetns {
 public:
  ThrowawayNetns();
  ~ThrowawayNetns();
  ThrowawayNetns(const ThrowawayNetns&) = delete;
  ThrowawayNetns& operator=(const ThrowawayNetns&) = delete;

  int fd() const { return fd_; }
  /// A path that opens this namespace while the test process lives (for nsenter).
  std::string path() const;
  /// A new handle on this namespace, as the hooks get one from /proc/PID/ns/net.
  hookwire::NsHandle handle() const;
  /// Drops this object's reference; the kernel deletes the namespace once no one holds it.
  void release();

 private:
  int fd_ = -1;
};

/// A "host" netns that the test body runs in, and a container netns beside it.
struct Lab {
  ThrowawayNetns host;
  ThrowawayNetns container;
  hookwire::NetnsGuard inside{host.fd()};
};

/// Runs `command` through the shell and returns what it prints; throws unless it exits 0.
std::string capture(const std::string& command);

/// Runs `ip -j ARGS` inside `ns` and parses what it prints.
json ip_json(const ThrowawayNetns& ns, const std::string& args);
/// Runs `COMMAND` inside `ns` through nsenter (test set-up); throws unless it exits 0.
void run_in(const ThrowawayNetns& ns, const std::string& command);

/// The entry of `ip -j -d link` for `name` in `ns`; null when there is none.
json link(const ThrowawayNetns& ns, const std::string& name);
/// The names of every link in `ns`, sorted.
std::vector<std::string> link_names(const ThrowawayNetns& ns);
/// The addr_info entries of `name` in `ns`.
json addresses(const ThrowawayNetns& ns, const std::string& name);
/// The `ip -j -4|-6 route` entries of `ns` whose "dst" is `dst`.
json routes_to(const ThrowawayNetns& ns, const std::string& family_flag, const std::string& dst);
/// The state of `ns` that wiring may change: links (kind, flags, MTU, txqlen,
/// master, MAC), addresses and routes, leaving out the links in `except` (shared
/// bridges, whose carrier and link-local address change by themselves) and what
/// sits on them.
json snapshot(const ThrowawayNetns& ns, const std::vector<std::string>& except = {});
/// Whether `list` (a JSON array of strings) contains `item`.
bool has(const json& list, const std::string& item);

/// The default profile's bridge: hookwire0 with 10.213.0.1/16 and fd00:213::1/64.
hookwire::BridgeSpec default_bridge();
/// A resolved veth network on that bridge: eth0, 10.213.0.7/16, fd00:213::7/64.
hookwire::Network veth_network(const std::string& host_interface_name = "hw1234");

}  // namespace lab
