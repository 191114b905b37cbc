// hookwire-dns: the resolver of the networks whose profiles serve names. The
// hooks start it (or a service manager does, hookwire-dns.socket); the library
// does the work (lib/src/dns/).
#include <hookwire/error.h>
#include <hookwire/options.h>

#include "build_config.h"
#include "dns/daemon.h"

#include <boost/program_options.hpp>

#include <iostream>
#include <syslog.h>

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(Usage: hookwire-dns [OPTION]...

Answer for the containers on hookwire's networks whose profiles have
"dns": {"names": true}, on the networks' gateway addresses, port 53, UDP and TCP;
forward every other question to the host's resolvers. The names come from the
ledger in the state dir, followed as it changes. Exits when no container with
names is left. Started by the hooks, or by a service manager.

Options)";

}  // namespace

int main(int argc, char** argv) {
  hookwire::dns::DaemonOptions options;
  options.state_dir = hookwire::default_options().state_dir;
  po::options_description described(kUsage);
  unsigned port = 53;
  described.add_options()("help,h", "show this help and exit")("version,V", "show the version and exit")(
      "state-dir", po::value(&options.state_dir),
      "the state dir whose ledger it serves (default $HOOKWIRE_STATE_DIR, else /run/hookwire)")(
      "user", po::value(&options.user), "the user it becomes after binding (default hookwire-dns, else nobody)")(
      "resolv-conf", po::value(&options.resolv_conf),
      "where the upstream resolvers are listed (default /etc/resolv.conf)")("port", po::value(&port),
                                                                            "the port it serves on (default 53)")(
      "lock-fd", po::value(&options.lock_fd), "the locked STATE_DIR/dns.pid handed over by a hook (internal)")(
      "ready-fd", po::value(&options.ready_fd), "closed once it serves, for the hook that started it (internal)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hookwire-dns: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << described << "\nExit status: 0 when it ran and stopped, or another resolver serves the state\n"
              << "dir; 1 when a system operation failed; 2 bad options.\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "hookwire-dns " << HOOKWIRE_VERSION << "\n";
    return 0;
  }
  if (port == 0 || port > 65535) {
    std::cerr << "hookwire-dns: --port: " << port << " is not a port (1-65535)\n";
    return 2;
  }
  options.port = static_cast<std::uint16_t>(port);
  try {
    return hookwire::dns::run_daemon(options);
  } catch (const hookwire::Error& e) {
    std::cerr << "hookwire-dns: " << e.what() << "\n";
    syslog(LOG_ERR, "%s", e.what());
    return e.kind() == hookwire::Error::Kind::input ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "hookwire-dns: " << e.what() << "\n";
    syslog(LOG_ERR, "%s", e.what());
    return 1;
  }
}
