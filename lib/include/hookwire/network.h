// The network engine: libcontainer's Network and Route made real over netlink.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <hookwire/config.h>
#include <hookwire/ip.h>
#include <hookwire/namespaces.h>

namespace hookwire {

/// A bridge in the runtime netns, with the gateway addresses of the pools it serves.
struct BridgeSpec {
  std::string name;
  std::vector<Cidr> addresses;  // e.g. 10.213.0.1/16 and fd00:213::1/64
};

/// Makes sure the bridge `spec.name` exists in the calling thread's netns, is a
/// bridge, is up and holds `spec.addresses` (IPv6 ones without DAD). Idempotent, and
/// safe when several processes ensure the same bridge at once (EEXIST means someone
/// else made it). Returns true when this call created the bridge.
/// Throws Error::input when a link of that name exists and is not a bridge.
bool ensure_bridge(const BridgeSpec& spec);

/// What a veth network became: the host end, the container end, the bridge.
struct VethLink {
  std::string host;
  std::string container;
  std::string bridge;
};

/// One container's wiring, as a transaction. Every step is recorded; unless
/// commit() was called, rollback() (and the destructor) undo them in reverse, so a
/// failure leaves the kernel as it was found.
class Wiring {
 public:
  /// `container` is the container's network namespace; the calling thread's netns
  /// is the runtime's. Throws Error::input when both are the same namespace
  /// (compared by device and inode): one wrong pid must never rewire the host.
  explicit Wiring(const NsHandle& container);
  ~Wiring();
  Wiring(const Wiring&) = delete;
  Wiring& operator=(const Wiring&) = delete;

  /// Brings `lo` up in the container netns.
  void add_loopback();
  /// Creates a veth pair in one request: the host end `host_interface_name` here,
  /// the peer directly in the container netns as `name`; MTU and txqueuelen on both,
  /// the host end enslaved to `bridge` and up, hairpin mode, then in the container
  /// the MAC, the addresses (IPv6 without DAD), link up, and default routes via the
  /// gateways. `network` must be resolved: host_interface_name and bridge set.
  VethLink add_veth(const Network& network);
  /// Adds a route in the container netns.
  void add_route(const Route& route);

  /// Keeps everything done so far.
  void commit();
  /// Undoes everything done so far, in reverse. Never throws.
  void rollback() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Deletes the veth `name` from the calling thread's netns if it exists (deleting
/// either end removes both). A link that is already gone is success; a link of
/// that name that is not a veth is not hookwire's and is left alone.
/// Returns true when a link was deleted.
bool remove_host_link(const std::string& name);

}  // namespace hookwire
