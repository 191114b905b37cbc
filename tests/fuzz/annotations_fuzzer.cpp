// read_choices on a State built from anything. Annotations come from whoever
// starts the container, so the choices they yield must stay among what the
// administrator allowed: a profile name (never a path), addresses of the right
// family, a unicast MAC, published ports (ports_fuzzer checks each entry) and no
// other io.hookwire.* key.
//
// The first byte picks how the rest becomes annotations:
//   even: it is the JSON value of "annotations" in a State, parsed by parse_state;
//   odd:  it is KEY=VALUE entries separated by NUL bytes, put into a State as is
//         (so values can hold anything, newlines and invalid UTF-8 included).
#include <hookwire/profile.h>
#include <hookwire/state.h>

#include "annotations.h"
#include "fuzz_check.h"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

using namespace hookwire;
using hookwire::fuzz::expect;

namespace {

const std::set<std::string, std::less<>> kKnown = {kAnnotationNetwork, kAnnotationIp,      kAnnotationIp6,
                                                   kAnnotationMac,     kAnnotationDisable, kAnnotationPorts};

State state_from_entries(std::string_view text) {
  State state;
  state.id = "fuzz";
  while (!text.empty()) {
    auto end = text.find('\0');
    auto entry = text.substr(0, end);
    auto equals = entry.find('=');
    if (equals == std::string_view::npos)
      state.annotations[std::string(entry)] = "";
    else
      state.annotations[std::string(entry.substr(0, equals))] = std::string(entry.substr(equals + 1));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return state;
}

void check_choices(const State& state, const Choices& choices) {
  for (const auto& [key, value] : state.annotations) {
    if (!key.starts_with("io.hookwire.")) continue;
    expect(kKnown.count(key) == 1, "only the known io.hookwire.* keys are accepted", key);
    expect(value.size() <= (key == kAnnotationPorts ? 4096 : 256),
           "accepted values are at most 256 bytes (io.hookwire.ports: 4096)");
  }
  expect(choices.network.has_value() == state.annotations.count(kAnnotationNetwork), "network chosen iff annotated");
  if (choices.network) {
    const std::string& name = *choices.network;
    expect(is_valid_profile_name(name), "a chosen network is a profile name", name);
    // It becomes DIR/NAME.json: one file name inside the profile dir.
    expect(name.find('/') == std::string::npos && name[0] != '.', "a chosen network never names a path", name);
  }
  expect(choices.ip.has_value() == state.annotations.count(kAnnotationIp), "ip chosen iff annotated");
  if (choices.ip) expect(choices.ip->family() == Family::v4, "io.hookwire.ip is IPv4", choices.ip->str());
  expect(choices.ip6.has_value() == state.annotations.count(kAnnotationIp6), "ip6 chosen iff annotated");
  if (choices.ip6) expect(choices.ip6->family() == Family::v6, "io.hookwire.ip6 is IPv6", choices.ip6->str());
  if (choices.mac) expect(choices.mac->is_unicast(), "io.hookwire.mac is unicast", choices.mac->str());
  // Each entry is checked by ports_fuzzer; here only that the list is there.
  expect(choices.ports.empty() != state.annotations.count(kAnnotationPorts), "ports chosen iff annotated");
  expect(choices.ports.size() <= kMaxPortEntries, "at most kMaxPortEntries ports entries");
  auto disable = state.annotation(kAnnotationDisable);
  expect(choices.disabled == (disable == "true"), "disabled only by io.hookwire.disable=true");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool entries = data[0] & 1;
  fuzz::run_checked([&] {
    State state =
        entries ? state_from_entries(rest)
                : parse_state(R"({"ociVersion":"1.0.2-dev","id":"fuzz","annotations":)" + std::string(rest) + "}");
    check_choices(state, read_choices(state));
  });
  return 0;
}
