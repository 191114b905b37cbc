// Host port leases: a published host port is a host resource, leased like an
// address (ipam.h): one symlink per port in STATE_DIR/ports, named "tcp-8080",
// whose target is the owning container id. symlink(2) makes the lease atomic, so
// two containers never hold one port, and a hook killed at any point leaves
// either a whole lease (that poststop or gc releases) or none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "port_spec.h"

namespace hookwire {

/// STATE_DIR/ports.
std::string host_port_dir(const std::string& state_dir);

/// "tcp-8080".
std::string host_port_name(const HostPort& port);

/// The port a lease name stands for; nullopt for any other name.
std::optional<HostPort> parse_host_port_name(std::string_view name);

/// Leases `port` for `owner`. A port someone holds is Error::input naming the
/// holder ("host port 8080/tcp is held by container web").
void lease_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner);

/// Whether `owner` holds `port`.
bool holds_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner);

/// Releases `port` if `owner` holds it (under the directory's lock, as ipam does).
bool release_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner);

/// Releases every port `owner` holds (a scan: for a record that never listed them).
std::vector<HostPort> release_host_ports_of(const std::string& state_dir, std::string_view owner);

}  // namespace hookwire
