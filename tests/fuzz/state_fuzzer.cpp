// parse_state on anything: the runtime writes the State, and a hook must neither
// crash on it nor let a parsed id name a file outside the state dir.
#include <hookwire/config.h>
#include <hookwire/state.h>
#include <hookwire/validate.h>

#include "annotations.h"
#include "fuzz_check.h"
#include "wire.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace hookwire;
using hookwire::fuzz::expect;

namespace {

bool known_status(const std::string& status) {
  for (const char* known : {"", "creating", "created", "starting", "running", "stopped", "paused"})
    if (status == known) return true;
  return false;
}

// What a parsed State promises the stages that use it.
void check_state(const State& state, std::string_view input) {
  const std::string& id = state.id;
  expect(is_valid_container_id(id), "a parsed id is valid", id);
  // The id names STATE_DIR/ledger/ID.json and is a lease's content: one file
  // name, never a path, never hidden (temp files start with '.').
  expect(!id.empty() && id.size() <= 128, "an id is 1-128 bytes", id);
  expect(id.find('/') == std::string::npos && id.find('\0') == std::string::npos, "an id has no '/' or NUL", id);
  expect(id[0] != '.', "an id is not hidden, nor . or ..", id);
  for (unsigned char c : id) expect(c > 0x20 && c < 0x7f, "an id is printable ASCII", id);
  expect(short_id(id).find('\n') == std::string::npos, "a short id is one line", id);
  // Host link names derive from the id and must be valid, hookwire-owned names.
  for (std::size_t i = 0; i < 4; ++i) {
    auto name = host_link_name(id, i);
    expect(name.size() == 15 && name.starts_with("hw") && is_valid_ifname(name), "a derived host link name is valid",
           name);
  }
  expect(!state.pid || *state.pid > 0, "a pid is absent or positive");
  expect(state.bundle.empty() || state.bundle[0] == '/', "a bundle is absolute", state.bundle);
  expect(known_status(state.status), "a status is known", state.status);
  expect(state.raw == input, "raw keeps the input byte for byte");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::run_checked([&] {
    State state = parse_state(input);
    check_state(state, input);
    // Parsing is a function of the bytes.
    State again = parse_state(state.raw);
    expect(again.id == state.id && again.pid == state.pid && again.annotations == state.annotations,
           "parsing twice gives the same State");
    // Every hook reads the annotations next.
    read_choices(state);
  });
  return 0;
}
