// The network engine: libcontainer's Network and Route made real over netlink.
// The bridge the host ends join is bridge.h's.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/config.h>
#include <hookwire/export.h>
#include <hookwire/ip.h>
#include <hookwire/namespaces.h>

namespace hookwire {

/// What a veth network became: the host end, the container end, the bridge.
struct HOOKWIRE_EXPORT VethLink {
  std::string host;
  std::string container;
  std::string bridge;
};

/// One container's wiring, as a transaction. Every step is recorded; unless
/// commit() was called, rollback() (and the destructor) undo them in reverse, so a
/// failure leaves the kernel as it was found.
class HOOKWIRE_EXPORT Wiring {
 public:
  /// `container` is the container's network namespace; the calling thread's netns
  /// is the runtime's. Throws Error::input when both are the same namespace
  /// (compared by device and inode): one wrong pid must never rewire the host.
  /// `owner_alias` (see owner_alias()) goes on every host end this Wiring creates.
  explicit Wiring(const NsHandle& container, std::string owner_alias = {});
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
  struct HOOKWIRE_HIDDEN Impl;
  std::unique_ptr<Impl> impl_;
};

/// The alias hookwire puts on the host ends it creates for container `id`
/// ("hookwire ID"): the proof of ownership teardown asks for, since the host end's
/// name is only a hash of the id.
HOOKWIRE_EXPORT std::string owner_alias(std::string_view id);

/// Deletes the veth `name` from the calling thread's netns if it exists and carries
/// `alias` (deleting either end removes both). A link that is already gone is
/// success; a link of that name that is not a veth, or carries another alias (a
/// host's own interface, another container's colliding name), is left alone.
/// Returns true when a link was deleted.
HOOKWIRE_EXPORT bool remove_host_link(const std::string& name, const std::string& alias);

}  // namespace hookwire
