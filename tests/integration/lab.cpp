#include "lab.h"

#include <hookwire/error.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace lab {

std::string capture(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen " + command);
  std::string out;
  std::array<char, 4096> chunk;
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe)) out.append(chunk.data(), n);
  int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed: " + command);
  return out;
}

ThrowawayNetns::ThrowawayNetns() {
  int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) hookwire::throw_errno("open /proc/thread-self/ns/net");
  if (unshare(CLONE_NEWNET) != 0) {
    ::close(original);
    hookwire::throw_errno("unshare(CLONE_NEWNET)");
  }
  fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int open_errno = errno;
  if (setns(original, CLONE_NEWNET) != 0) {
    std::perror("cannot return to the original network namespace");
    std::abort();  // never run on in a namespace we did not mean to be in
  }
  ::close(original);
  if (fd_ < 0) throw hookwire::Error::system(open_errno, "open the new netns");
}

ThrowawayNetns::~ThrowawayNetns() {
  release();
}

std::string ThrowawayNetns::path() const {
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd_);
}

hookwire::NsHandle ThrowawayNetns::handle() const {
  return hookwire::NsHandle::open(path());
}

void ThrowawayNetns::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

json ip_json(const ThrowawayNetns& ns, const std::string& args) {
  std::string out = capture("nsenter --net=" + ns.path() + " ip -j " + args);
  // iproute2 prints nothing at all (not "[]") for some empty listings.
  return out.find_first_not_of(" \n") == std::string::npos ? json::array() : json::parse(out);
}

void run_in(const ThrowawayNetns& ns, const std::string& command) {
  capture("nsenter --net=" + ns.path() + " " + command + " >/dev/null");
}

json link(const ThrowawayNetns& ns, const std::string& name) {
  for (const auto& entry : ip_json(ns, "-d link"))
    if (entry.value("ifname", "") == name) return entry;
  return nullptr;
}

std::vector<std::string> link_names(const ThrowawayNetns& ns) {
  std::vector<std::string> names;
  for (const auto& entry : ip_json(ns, "link")) names.push_back(entry.value("ifname", ""));
  std::sort(names.begin(), names.end());
  return names;
}

json addresses(const ThrowawayNetns& ns, const std::string& name) {
  for (const auto& entry : ip_json(ns, "addr"))
    if (entry.value("ifname", "") == name) return entry.value("addr_info", json::array());
  return json::array();
}

json routes_to(const ThrowawayNetns& ns, const std::string& family_flag, const std::string& dst) {
  json found = json::array();
  for (const auto& entry : ip_json(ns, family_flag + " route"))
    if (entry.value("dst", "") == dst) found.push_back(entry);
  return found;
}

json snapshot(const ThrowawayNetns& ns, const std::vector<std::string>& except) {
  auto skipped = [&](const std::string& name) { return std::find(except.begin(), except.end(), name) != except.end(); };
  json links = json::array();
  for (const auto& entry : ip_json(ns, "-d link")) {
    if (skipped(entry.value("ifname", ""))) continue;
    json kind = entry.contains("linkinfo") ? entry["linkinfo"].value("info_kind", "") : "";
    links.push_back({entry["ifname"], entry["ifindex"], kind, entry["flags"], entry["mtu"], entry.value("txqlen", 0),
                     entry.value("master", ""), entry.value("address", "")});
  }
  json addrs = json::array();
  for (const auto& entry : ip_json(ns, "addr")) {
    if (skipped(entry.value("ifname", ""))) continue;
    for (const auto& a : entry.value("addr_info", json::array()))
      addrs.push_back({entry["ifname"], a.value("local", ""), a.value("prefixlen", 0)});
  }
  json routes = json::array();
  for (const char* family : {"-4", "-6"})
    for (const auto& route : ip_json(ns, std::string(family) + " route"))
      if (!skipped(route.value("dev", ""))) routes.push_back(route);
  return {{"links", links}, {"addresses", addrs}, {"routes", routes}};
}

bool has(const json& list, const std::string& item) {
  return std::find(list.begin(), list.end(), json(item)) != list.end();
}

hookwire::BridgeSpec default_bridge() {
  return {"hookwire0", {*hookwire::Cidr::parse("10.213.0.1/16"), *hookwire::Cidr::parse("fd00:213::1/64")}};
}

hookwire::Network veth_network(const std::string& host_interface_name) {
  hookwire::Network network;
  network.type = "veth";
  network.name = "eth0";
  network.bridge = "hookwire0";
  network.host_interface_name = host_interface_name;
  network.address = "10.213.0.7/16";
  network.gateway = "10.213.0.1";
  network.ipv6_address = "fd00:213::7/64";
  network.ipv6_gateway = "fd00:213::1";
  return network;
}

}  // namespace lab
