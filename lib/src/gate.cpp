// startContainer: the readiness gate. It runs inside the container after
// pivot_root, without CAP_NET_ADMIN, so it only reads netlink, never files.
#include <hookwire/gate.h>

#include <hookwire/inspect.h>

#include "annotations.h"
#include "hook_run.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace hookwire {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);

// Kinds of the fallback devices the kernel puts in every netns once their module
// is loaded (tunl0, sit0, ip6tnl0, gre0, ...). They stay down, and are not ours.
bool is_fallback_tunnel(const InterfaceState& link) {
  static constexpr std::string_view kKinds[] = {"ipip",      "sit",    "ip6tnl",    "gre", "gretap", "ip6gre",
                                                "ip6gretap", "erspan", "ip6erspan", "vti", "vti6"};
  for (auto kind : kKinds)
    if (link.kind == kind) return true;
  return false;
}

bool is_link_local(const Cidr& cidr) {
  const auto* b = cidr.address.data();
  if (cidr.family() == Family::v6) return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  return b[0] == 169 && b[1] == 254;
}

// What is not ready yet, one phrase per problem; empty when all is ready.
std::string not_ready() {
  std::string problems;
  auto add = [&](const std::string& problem) { problems += (problems.empty() ? "" : "; ") + problem; };
  for (const auto& link : list_interfaces()) {
    if (link.name == "lo" || is_fallback_tunnel(link)) continue;
    if (!link.up) {
      add(link.name + " is down");
      continue;
    }
    bool has_address = false;
    for (const auto& address : link.addresses) {
      if (address.tentative) add(link.name + " has tentative " + address.cidr.str());
      if (!is_link_local(address.cidr)) has_address = true;
    }
    if (!has_address) add(link.name + " has no address");
  }
  return problems;
}

std::string seconds(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", value);
  return buffer;
}

// Polls until the network is ready or `timeout_seconds` have passed.
int wait_until_ready(double timeout_seconds, Logger& log) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    std::string problems = not_ready();
    if (problems.empty()) {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      log.debug("network ready after " + std::to_string(waited.count()) + " ms");
      return 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      log.error("network not ready after " + seconds(timeout_seconds) + ": " + problems);
      return 1;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

int gate_main(int argc, char** argv) {
  return run_hook(HookName::start_container, argc, argv, [](const Options& options, const State& state, Logger& log) {
    if (read_choices(state).disabled) return 0;
    return wait_until_ready(options.timeout_seconds, log);
  });
}

}  // namespace hookwire
