// Address pools: leases under the state dir, one symlink per address whose
// target is the owning container id. symlink(2) creates a name and its content in
// one atomic step, so concurrent hooks never share an address and a hook killed
// at any point never leaves a torn lease.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/ip.h>
#include <hookwire/profile.h>

namespace hookwire {

/// One lease: an address and the container id that holds it.
struct HOOKWIRE_EXPORT Lease {
  IpAddress address;
  std::string owner;
};

/// A pool's leases, in STATE_DIR/ipam/<pool key>/.
class HOOKWIRE_EXPORT Pool {
 public:
  Pool(const std::string& state_dir, const PoolSpec& spec);

  /// Leases `requested` for `owner`, or, without a request, the first free address
  /// at or after the pool's hint (so cost stays flat as the pool fills). The network,
  /// broadcast and gateway addresses are never leased. A requested address that is
  /// outside the pool or reserved is Error::input, one held by another container is
  /// Error::input ("address ... is in use by container ..."); a full pool is
  /// Error::system(ENOSPC). An address `owner` already holds is not free: every
  /// call leases a different address.
  IpAddress allocate(std::string_view owner, std::optional<IpAddress> requested = std::nullopt);

  /// Releases `address` if `owner` holds it. Returns whether it did.
  bool release(const IpAddress& address, std::string_view owner);
  /// Every lease in the pool.
  std::vector<Lease> leases() const;

  /// How many addresses the last allocate() tried (for tests and benchmarks).
  std::uint64_t last_tries() const { return last_tries_; }

  const PoolSpec& spec() const { return spec_; }
  const std::string& dir() const { return dir_; }

 private:
  bool reserved(const IpAddress& ip) const;
  PoolSpec spec_;
  std::string dir_;
  std::uint64_t last_tries_ = 0;
};

/// What a lease directory's names are: addresses (a pool's) or host ports
/// ("tcp-8080", STATE_DIR/ports).
enum class LeaseKind { address, host_port };

/// One entry of a lease directory as found on disk. `valid` is false for anything
/// hookwire did not write: not a symlink, not named by an address, or not owned
/// by a valid container id.
struct HOOKWIRE_EXPORT LeaseFile {
  std::string name;
  std::string owner;
  bool valid = false;
};

/// The lease directory of the pool with key `pool_key`.
HOOKWIRE_EXPORT std::string pool_dir(const std::string& state_dir, std::string_view pool_key);
/// Releases the lease of `address` in `dir` if `owner` holds it. Returns whether it
/// did. Atomic against every other remover (they all hold the pool's lock), so it
/// never removes a lease that another container took meanwhile.
HOOKWIRE_EXPORT bool release_lease(const std::string& dir, const IpAddress& address, std::string_view owner);
/// The same for a lease named `name` (an address's text, or a host port's name).
HOOKWIRE_EXPORT bool release_named_lease(const std::string& dir, const std::string& name, std::string_view owner);
/// Releases every lease `owner` holds in `dir` (a scan). Returns the addresses, as text.
HOOKWIRE_EXPORT std::vector<std::string> release_owner(const std::string& dir, std::string_view owner,
                                                       LeaseKind kind = LeaseKind::address);

/// Removes `name` from lease directory `dir` if it is not a lease hookwire wrote
/// (judged again under the pool's lock). Returns whether it did.
HOOKWIRE_EXPORT bool remove_stray_lease_file(const std::string& dir, const std::string& name,
                                             LeaseKind kind = LeaseKind::address);

/// The lease directories that exist under STATE_DIR/ipam.
HOOKWIRE_EXPORT std::vector<std::string> pool_dirs(const std::string& state_dir);
/// The entries of one lease directory (hidden files such as the hint excluded).
HOOKWIRE_EXPORT std::vector<LeaseFile> read_lease_dir(const std::string& dir, LeaseKind kind = LeaseKind::address);
/// Releases every lease of `owner` in every pool under the state dir. Returns the
/// addresses released, as text.
HOOKWIRE_EXPORT std::vector<std::string> release_everywhere(const std::string& state_dir, std::string_view owner);

}  // namespace hookwire
