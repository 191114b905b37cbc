// The hooks' side of the resolver's lifecycle (hookwire-dns, docs/dns.md): they
// make sure one runs for the state dir, and never wait for it.
#pragma once

#include <string>

#include "log.h"

namespace hookwire {

/// STATE_DIR/dns.pid: held locked (flock) by the running resolver, holding its pid.
std::string resolver_pid_file(const std::string& state_dir);
/// STATE_DIR/dns.sock: where a service manager (hookwire-dns.socket) listens.
std::string resolver_control_socket(const std::string& state_dir);

/// Whether a resolver runs for STATE_DIR (it holds dns.pid locked).
bool resolver_running(const std::string& state_dir);

/// Makes sure a resolver serves STATE_DIR's names:
/// - one runs (it holds dns.pid locked): nothing to do;
/// - a service manager listens on dns.sock: one datagram there starts it;
/// - otherwise hookwire-dns, from the hook's own directory, is started as a
///   daemon (new session, /dev/null for stdio), inheriting the lock, so that no
///   second hook starts a second one.
/// Never throws: a resolver that cannot be started is a warning, and the
/// container starts, without names.
void ensure_resolver(const std::string& state_dir, Logger& log);

}  // namespace hookwire
