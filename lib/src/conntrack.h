// Forgetting conntrack entries when an address or a host port is released, so
// that a flow (UDP above all) is never black-holed onto the next holder of that
// address or port (CNI plugins#123). Over libnl-nf-3 (LGPL-2.1, static archive).
#pragma once

#include <cstddef>
#include <vector>

#include <hookwire/ip.h>

#include "port_spec.h"

namespace hookwire {

/// Which flows to a host port `forget_conntrack` deletes.
enum class PortFlows {
  nated,      // destination-NATed ones: flows a published port carried
  not_nated,  // the others: flows that would shadow a port being published now
};

/// Deletes the conntrack entries of the current network namespace that refer to
/// one of `addresses` (as the original or the reply direction's source or
/// destination), or whose original destination port is one of `ports` (with its
/// protocol) and that were (`nated`) or were not (`not_nated`) destination-NATed. Returns how many it deleted; an
/// entry that is gone by the time it is deleted is not an error. Throws
/// Error::system when conntrack cannot be read at all (the caller warns).
std::size_t forget_conntrack(const std::vector<IpAddress>& addresses, const std::vector<HostPort>& ports,
                             PortFlows port_flows = PortFlows::nated);

}  // namespace hookwire
