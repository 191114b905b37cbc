// parse_ports on anything. The io.hookwire.ports annotation comes from whoever
// starts the container, and what it yields becomes host port leases and nftables
// elements: an accepted list must hold only real ports (1-65535), ordered ranges
// of equal lengths, no host port twice for one protocol, and no more entries or
// ports than the limits, and it must say the same thing when written back.
#include "fuzz_check.h"
#include "port_spec.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace hookwire;
using hookwire::fuzz::expect;
using hookwire::fuzz::violated;

namespace {

// Every byte an accepted text may hold: digits, hexadecimal and the punctuation
// of addresses and ranges, and the letters of "tcp", "udp" and "sctp".
constexpr std::string_view kGrammarBytes = "0123456789abcdefABCDEF.:[]/,-tpus";

// The spec as the grammar writes it, the address in canonical form.
std::string render(const PortSpec& spec) {
  std::string out;
  if (spec.host_address)
    out += spec.host_address->family() == Family::v4 ? spec.host_address->str() + ":"
                                                     : "[" + spec.host_address->str() + "]:";
  out += std::to_string(spec.host_first) + "-" + std::to_string(spec.host_last) + ":" +
         std::to_string(spec.container_first) + "-" + std::to_string(spec.container_last) + "/" +
         std::string(protocol_name(spec.protocol));
  return out;
}

void check_specs(std::string_view text, const std::vector<PortSpec>& specs) {
  for (unsigned char c : text)
    expect(kGrammarBytes.find(static_cast<char>(c)) != std::string_view::npos,
           "an accepted text holds only the grammar's bytes", text.substr(0, 200));
  expect(specs.size() == static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1, "one spec per entry",
         text.substr(0, 200));
  expect(!specs.empty() && specs.size() <= kMaxPortEntries, "1 to kMaxPortEntries entries");
  std::size_t total = 0;
  std::string rendered;
  for (const PortSpec& spec : specs) {
    std::string shown = render(spec);
    auto name = protocol_name(spec.protocol);
    expect(parse_protocol(name) == spec.protocol, "a known protocol", shown);
    expect(spec.host_first != 0 && spec.container_first != 0, "no port 0", shown);
    expect(spec.host_first <= spec.host_last, "host range ordered", shown);
    expect(spec.container_first <= spec.container_last, "container range ordered", shown);
    expect(spec.host_last - spec.host_first == spec.container_last - spec.container_first,
           "host and container ranges of one length", shown);
    total += std::size_t{spec.host_last} - spec.host_first + 1;
    rendered += (rendered.empty() ? "" : ",") + shown;
  }
  expect(total <= kMaxPublishedPorts, "at most kMaxPublishedPorts ports");

  auto ports = host_ports(specs);
  expect(ports.size() == total, "host_ports expands every range");
  std::sort(ports.begin(), ports.end());
  expect(std::adjacent_find(ports.begin(), ports.end()) == ports.end(), "no host port twice for one protocol");

  // Written back in the grammar's own words, the list says the same thing.
  try {
    expect(parse_ports(rendered) == specs, "the rendered list parses to the same specs", rendered);
  } catch (const Error& e) {
    violated("the rendered list parses", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::run_checked([&] { check_specs(text, parse_ports(text)); });
  return 0;
}
