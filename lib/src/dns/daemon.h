// hookwire-dns, the resolver daemon: lock and pid file, privileges, the loop,
// and going away when the last container with names is unwired (docs/dns.md).
#pragma once

#include <cstdint>
#include <string>

namespace hookwire::dns {

struct DaemonOptions {
  std::string state_dir;                         // whose ledger it serves
  int lock_fd = -1;                              // STATE_DIR/dns.pid, locked by the hook that started it
  int ready_fd = -1;                             // closed once it serves (the hook that started it waits)
  std::string user;                              // who it becomes: empty for hookwire-dns, else nobody
  std::uint16_t port = 53;                       // for tests
  std::string resolv_conf = "/etc/resolv.conf";  // the upstream resolvers
};

/// Runs the resolver until it has nothing left to serve or is told to stop
/// (SIGTERM, SIGINT); SIGHUP reads the ledger again. Returns the exit status:
/// 0 also when another resolver already serves the state dir.
int run_daemon(const DaemonOptions& options);

}  // namespace hookwire::dns
