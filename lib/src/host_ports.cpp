#include "host_ports.h"

#include <hookwire/error.h>
#include <hookwire/ipam.h>

#include "fs_util.h"
#include "json_util.h"

#include <cerrno>
#include <unistd.h>

namespace hookwire {

std::string host_port_dir(const std::string& state_dir) {
  return state_dir + "/ports";
}

std::string host_port_name(const HostPort& port) {
  return std::string(protocol_name(port.protocol)) + "-" + std::to_string(port.port);
}

std::optional<HostPort> parse_host_port_name(std::string_view name) {
  auto dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto protocol = parse_protocol(name.substr(0, dash));
  auto digits = name.substr(dash + 1);
  if (!protocol || digits.empty() || digits.size() > 5 || digits[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return HostPort{*protocol, static_cast<std::uint16_t>(value)};
}

void lease_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner) {
  std::string dir = host_port_dir(state_dir);
  make_dirs(dir, 0700);
  std::string path = dir + "/" + host_port_name(port);
  std::string what = "host port " + std::to_string(port.port) + "/" + std::string(protocol_name(port.protocol));
  if (symlink(std::string(owner).c_str(), path.c_str()) == 0) return;
  if (errno != EEXIST) throw_errno("lease " + what);
  char holder[256];
  ssize_t n = readlink(path.c_str(), holder, sizeof holder);
  std::string by = n > 0 && n < static_cast<ssize_t>(sizeof holder)
                       ? " by container " + quote_for_message(std::string(holder, static_cast<std::size_t>(n)))
                       : std::string();
  throw Error::input(what + " is held" + by);
}

bool holds_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner) {
  std::string path = host_port_dir(state_dir) + "/" + host_port_name(port);
  char holder[256];
  ssize_t n = readlink(path.c_str(), holder, sizeof holder);
  return n > 0 && std::string_view(holder, static_cast<std::size_t>(n)) == owner;
}

bool release_host_port(const std::string& state_dir, const HostPort& port, std::string_view owner) {
  return release_named_lease(host_port_dir(state_dir), host_port_name(port), owner);
}

std::vector<HostPort> release_host_ports_of(const std::string& state_dir, std::string_view owner) {
  std::vector<HostPort> released;
  for (const auto& name : release_owner(host_port_dir(state_dir), owner, LeaseKind::host_port))
    released.push_back(*parse_host_port_name(name));
  return released;
}

}  // namespace hookwire
