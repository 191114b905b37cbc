#include <hookwire/stage.h>

#include <hookwire/error.h>
#include <hookwire/gate.h>
#include <hookwire/ledger.h>
#include <hookwire/profile.h>
#include <hookwire/profile_load.h>

#include "resolver_launch.h"
#include "annotations.h"
#include "container_setup.h"
#include "fs_util.h"
#include "hook_run.h"
#include "id_lock.h"
#include "log.h"
#include "wire.h"

#include <optional>
#include <unistd.h>

namespace hookwire {

namespace {

// --config fixes the profile; otherwise the annotation chooses, then --network,
// then "default", always among the administrator's profiles.
Profile resolve_profile(const Options& options, const Choices& choices) {
  if (options.config_file) {
    const auto& path = *options.config_file;
    auto slash = path.find_last_of('/');
    std::string stem = path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (stem.ends_with(".json")) stem.resize(stem.size() - 5);
    return load_profile_file(path, stem);
  }
  std::string name(kDefaultProfileName);
  if (choices.network) {
    name = *choices.network;
  } else if (options.network) {
    name = *options.network;
  }
  return load_profile(options.config_dir, name);
}

void mark_running(const std::string& state_dir, const State& state, Logger& log) {
  if (!check_state_dir(state_dir, false)) return;
  Ledger ledger(state_dir);
  if (!ledger.holds(state.id)) {
    log.debug("not wired by hookwire; nothing to mark");
    return;
  }
  // Read and written again under the id's lock: a teardown that ran meanwhile
  // must not see its record brought back by a stale copy.
  auto lock = IdLock::acquire(state_dir, state.id);
  auto entry = ledger.find(state.id);
  if (!entry) {
    log.debug("unwired meanwhile; nothing to mark");
    return;
  }
  entry->status = "running";
  ledger.write(*entry);
  // A resolver killed since createRuntime is back before its names are asked for.
  if (!entry->dns.empty()) ensure_resolver(state_dir, log);
  std::string addresses;
  for (const auto& address : entry->addresses) addresses += (addresses.empty() ? "" : " ") + address.cidr;
  log.info("running" + (addresses.empty() ? std::string() : " with " + addresses));
}

void unwire_container(const std::string& state_dir, const State& state, Logger& log) {
  if (!check_state_dir(state_dir, false)) return;
  auto released = unwire_id(state_dir, state.id, log);
  if (!released.conntrack_error.empty())
    log.warning("could not forget the conntrack entries of its addresses and ports: " + released.conntrack_error);
  if (released.record || !released.links.empty() || !released.addresses.empty())
    log.info("unwired " + std::to_string(released.links.size()) + " link(s), " +
             std::to_string(released.addresses.size()) + " lease(s), " + std::to_string(released.ports.size()) +
             " host port(s), " + std::to_string(released.elements) + " firewall element(s), " +
             std::to_string(released.flows) + " conntrack entr" + (released.flows == 1 ? "y" : "ies"));
}

void run_stage(HookName stage, const Options& options, const State& state, Logger& log) {
  auto choices = read_choices(state);
  if (choices.disabled) {
    log.info("disabled by annotation io.hookwire.disable=true");
    return;
  }
  if (stage == HookName::poststop) {
    // Teardown needs only the record, so it comes first and never depends on the
    // profile: one deleted or broken since the container started must not keep
    // its links and leases, nor turn a teardown that happened into exit 2.
    unwire_container(options.state_dir, state, log);
    std::optional<Profile> profile;
    try {
      profile = resolve_profile(options, choices);
    } catch (const Error& e) {
      log.warning(std::string("unwired, but the profile's poststop hooks cannot run: ") + e.what());
      return;
    }
    profile->config.hooks.run(stage, state);
    return;
  }
  Profile profile = resolve_profile(options, choices);
  if (stage == HookName::prestart || stage == HookName::create_runtime) {
    wire(stage, options.state_dir, state, profile, choices, log);
    return;  // wire() runs the chained hooks inside its rollback scope
  }
  if (stage == HookName::create_container) configure_container(options.state_dir, state, profile, log);
  if (stage == HookName::poststart) mark_running(options.state_dir, state, log);
  profile.config.hooks.run(stage, state);
}

}  // namespace

int hook_main(HookName stage, int argc, char** argv) {
  if (stage == HookName::start_container) return gate_main(argc, argv);
  return run_hook(stage, argc, argv, [stage](const Options& options, const State& state, Logger& log) {
    run_stage(stage, options, state, log);
    return 0;
  });
}

}  // namespace hookwire
