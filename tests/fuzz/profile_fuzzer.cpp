// The profile reader and validator, and the libcontainer Config reader under it, on
// anything. A profile the validator passes must keep the promises the stages rely
// on: interface names the kernel takes, sysctls inside /proc/sys/net, absolute
// command paths, resolv.conf words without whitespace.
#include <hookwire/config.h>
#include <hookwire/profile.h>
#include <hookwire/validate.h>

#include "fuzz_check.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace hookwire;
using hookwire::fuzz::expect;

namespace {

void check_lines(const std::vector<std::string>& problems) {
  for (const auto& problem : problems) {
    expect(!problem.empty(), "a problem is not empty");
    for (unsigned char c : problem) expect(c >= 0x20 && c != 0x7f, "a problem is one line", problem);
  }
}

// Where set_sysctl writes: "/proc/sys/" + the key with '.' turned into '/'.
std::string sysctl_path(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  for (std::size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  return path;
}

void check_valid_profile(const Profile& profile) {
  for (const auto& network : profile.config.networks) {
    expect(network.type == "loopback" || network.type == "veth", "a network type is known", network.type);
    for (const auto* name : {&network.name, &network.bridge, &network.host_interface_name})
      expect(name->empty() || is_valid_ifname(*name), "interface names are valid", *name);
    if (network.type == "veth") expect(!network.bridge.empty(), "a veth has a bridge");
  }
  for (auto stage : hook_names())
    for (const auto& hook : profile.config.hooks.at(stage))
      if (const auto* command = dynamic_cast<const CommandHook*>(hook.get()))
        expect(command->command().path.starts_with("/"), "a chained hook's path is absolute", command->command().path);
  for (const auto& [key, value] : profile.sysctls) {
    expect(is_allowed_sysctl(key), "a sysctl is allowed", key);
    auto path = sysctl_path(key);
    expect(path.starts_with("/proc/sys/net/") && path.find("/../") == std::string::npos &&
               path.find("/./") == std::string::npos && path.find("//") == std::string::npos && !path.ends_with("/"),
           "a sysctl stays inside /proc/sys/net", path);
    expect(!value.empty() && value.find('\n') == std::string::npos, "a sysctl value is one line", value);
  }
  for (const auto& server : profile.dns.nameservers)
    expect(IpAddress::parse(server).has_value(), "a nameserver is an address", server);
  for (const auto* list : {&profile.dns.search, &profile.dns.options})
    for (const auto& word : *list)
      for (unsigned char c : word) expect(c > ' ' && c != 0x7f, "a resolv.conf word has no whitespace", word);
  for (const auto* pool : {&profile.ipv4, &profile.ipv6})
    if (*pool) {
      expect((*pool)->subnet.contains((*pool)->gateway), "a pool's gateway is inside it");
      expect((*pool)->key().find('/') == std::string::npos, "a pool key is a file name", (*pool)->key());
    }
}

void fuzz_profile(std::string_view input) {
  fuzz::run_checked([&] {
    Profile profile = read_profile(input, "fuzz");
    auto problems = validate(profile);
    check_lines(problems);
    // parse_profile is read_profile plus validate, with the first problem as its error.
    try {
      Profile parsed = parse_profile(input, "fuzz");
      expect(problems.empty(), "parse_profile accepts only what validate passes");
      check_valid_profile(parsed);
    } catch (const Error& e) {
      expect(!problems.empty() && std::string_view(e.what()) == "profile fuzz: " + problems.front(),
             "parse_profile reports validate's first problem", e.what());
      throw;
    }
  });
}

void fuzz_config(std::string_view input) {
  fuzz::run_checked([&] {
    Config config = parse_config(input);
    check_lines(validate(config));
    // What runc would read back: writing, reading and writing again changes nothing.
    std::string once = to_json(config);
    std::string twice = to_json(parse_config(once));
    expect(once == twice, "a Config round-trips through to_json", once.substr(0, 200));
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_profile(input);
  fuzz_config(input);
  return 0;
}
