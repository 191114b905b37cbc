#include <hookwire/options.h>

#include "build_config.h"
#include "log.h"

#include <boost/program_options.hpp>

#include <cstdlib>
#include <iostream>

namespace hookwire {

namespace po = boost::program_options;

namespace {

const char* purpose(HookName stage) {
  switch (stage) {
    case HookName::prestart:
      return "Wire the container's network: the deprecated OCI prestart hook, the same as\n"
             "hookwire-create-runtime (a container wired once is not wired twice).";
    case HookName::create_runtime:
      return "Wire the container's network: the OCI createRuntime hook. Creates a veth pair\n"
             "whose host end joins the profile's bridge, gives the container end its addresses\n"
             "and routes, and records everything in the ledger.";
    case HookName::create_container:
      return "Apply the profile's in-container settings: the OCI createContainer hook.\n"
             "Writes allowlisted net.* sysctls, and /etc/hosts and /etc/resolv.conf in the\n"
             "rootfs when the profile asks for them.";
    case HookName::start_container:
      return "Wait until the container's network is ready: the OCI startContainer hook.\n"
             "Every non-loopback interface must be up with an address, and no IPv6 address\n"
             "tentative. Runs inside the container; reads no host files.";
    case HookName::poststart:
      return "Mark the container running in the ledger and log its addresses: the OCI\n"
             "poststart hook.";
    case HookName::poststop:
      return "Unwire the container's network: the OCI poststop hook. Deletes the host links\n"
             "hookwire created, releases the leases and drops the ledger record. Running it\n"
             "twice, or for an unknown container, succeeds.";
  }
  return "";
}

}  // namespace

Options default_options() {
  Options options;
  options.config_dir = HOOKWIRE_PROFILE_DIR;
  const char* env = std::getenv("HOOKWIRE_STATE_DIR");
  options.state_dir = env && *env ? env : "/run/hookwire";
  return options;
}

ParsedOptions parse_hook_options(HookName stage, int argc, char** argv) {
  Options options = default_options();
  std::string tool = tool_name(stage);
  std::string config_file, network;

  po::options_description described("Options", 110, 40);
  described.add_options()("config", po::value(&config_file)->value_name("FILE"),
                          "use the profile in FILE; no lookup by name")(
      "config-dir", po::value(&options.config_dir)->value_name("DIR"),
      ("look profiles up in DIR (default " + options.config_dir + ")").c_str())(
      "network", po::value(&network)->value_name("NAME"),
      "the profile when no annotation names one (default: default)")(
      "state-dir", po::value(&options.state_dir)->value_name("DIR"),
      "leases and ledger (default $HOOKWIRE_STATE_DIR, else /run/hookwire)")(
      "log-file", po::value(&options.log_file)->value_name("FILE"), "also append log lines to FILE")(
      "log-level", po::value(&options.log_level)->value_name("LEVEL"), "error, warning, info or debug (default info)");
  if (stage == HookName::start_container)
    described.add_options()("timeout", po::value(&options.timeout_seconds)->value_name("SECONDS"),
                            "how long to wait for the network (default 5)");
  described.add_options()("help,h", "show this help and exit")("version,V", "show the version and exit");

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << tool << ": " << e.what() << " (see " << tool << " --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "Usage: " << tool << " [OPTION]... < STATE\n\n"
              << purpose(stage) << "\n\n"
              << "The runtime writes the container's OCI State (JSON) on standard input.\n\n"
              << described << "\n"
              << "Annotations: io.hookwire.network=NAME, io.hookwire.ip=ADDRESS, io.hookwire.ip6=ADDRESS,\n"
              << "io.hookwire.mac=MAC, io.hookwire.disable=true.\n\n"
              << "Exit status: 0 success; 1 a system operation failed (what was done is rolled\n"
              << "back); 2 bad input (State, profile, annotations, options), nothing changed.\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << tool << " " << HOOKWIRE_VERSION << "\n";
    return 0;
  }
  if (!vm["config"].empty()) options.config_file = config_file;
  if (!vm["network"].empty()) options.network = network;
  if (!(options.timeout_seconds >= 0 && options.timeout_seconds <= 3600)) {
    std::cerr << tool << ": --timeout: must be between 0 and 3600 seconds\n";
    return 2;
  }
  if (!log_level_from(options.log_level)) {
    std::cerr << tool << ": --log-level: must be error, warning, info or debug\n";
    return 2;
  }
  return options;
}

}  // namespace hookwire
