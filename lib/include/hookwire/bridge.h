// The shared bridge the host ends of the veths join: created on first use,
// idempotently and safely when several hooks race for it.
#pragma once

#include <string>
#include <vector>

#include <hookwire/export.h>
#include <hookwire/ip.h>

namespace hookwire {

/// A bridge in the runtime netns, with the gateway addresses of the pools it serves.
struct HOOKWIRE_EXPORT BridgeSpec {
  std::string name;
  std::vector<Cidr> addresses;  // e.g. 10.213.0.1/16 and fd00:213::1/64
};

/// Makes sure the bridge `spec.name` exists in the calling thread's netns, is a
/// bridge, is up and holds `spec.addresses` (IPv6 ones without DAD). Idempotent, and
/// safe when several processes ensure the same bridge at once (EEXIST means someone
/// else made it). Returns true when this call created the bridge.
/// Throws Error::input when a link of that name exists and is not a bridge.
HOOKWIRE_EXPORT bool ensure_bridge(const BridgeSpec& spec);

/// Throws Error::input, as ensure_bridge would, when a link called `name` exists in
/// the calling thread's netns and is not a bridge; changes nothing. For callers
/// that ensure several bridges and must refuse before they create the first.
HOOKWIRE_EXPORT void check_bridge_name(const std::string& name);

}  // namespace hookwire
