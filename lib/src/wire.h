// Wiring and unwiring one container: the work of createRuntime and poststop.
#pragma once

#include <string>
#include <vector>

#include <hookwire/hooks.h>
#include <hookwire/ledger.h>
#include <hookwire/profile.h>
#include <hookwire/state.h>

#include "annotations.h"
#include "log.h"

namespace hookwire {

/// The host end's name for veth number `index` of container `id` when the profile
/// names none: "hw" and 13 hex digits of a hash of the id, 15 bytes, stable.
std::string host_link_name(std::string_view id, std::size_t index);

/// Wires the container: netns lookup, leases, links, routes, ledger, then the
/// profile's Hooks[stage]. Skips (with a warning) a container without a netns of
/// its own. Idempotent for the same id and netns. Rolls everything back on failure.
void wire(HookName stage, const std::string& state_dir, const State& state, const Profile& profile,
          const Choices& choices, Logger& log);

/// What an unwiring released, for messages.
struct Released {
  std::vector<std::string> links;
  std::vector<std::string> addresses;
  std::vector<std::string> ports;  // "8080/tcp"
  std::size_t elements = 0;        // firewall elements deleted
  std::size_t flows = 0;           // conntrack entries forgotten
  std::string conntrack_error;     // why they could not be, when they could not
  bool record = false;
};

/// Undoes what `entry` records: host links, firewall elements, host ports, leases,
/// conntrack entries of its addresses and ports, then the record itself (last,
/// so an interrupted teardown can be run again). Missing pieces are success. The
/// caller holds the id's lock.
Released unwire(const std::string& state_dir, const LedgerEntry& entry);

/// Unwires container `id` by its record; when the record is unreadable, by what
/// can be derived from the id (its hashed host link names, if they carry its alias;
/// its leases anywhere). An unknown id is success. Takes the id's lock (id_lock.h)
/// for the whole teardown and retires it at the end.
Released unwire_id(const std::string& state_dir, const std::string& id, Logger& log);

/// unwire_id for a caller that already holds the id's lock.
Released unwire_id_locked(const std::string& state_dir, const std::string& id, Logger& log);

}  // namespace hookwire
