#include "config_json.h"

#include <hookwire/error.h>

#include "json_util.h"

#include <cstdint>
#include <limits>
#include <map>
#include <memory>

namespace hookwire {

namespace {

// Go's nil slice is null; json.Marshal writes every empty list this way.
template <typename T, typename Convert>
nlohmann::ordered_json list_or_null(const std::vector<T>& items, Convert convert) {
  if (items.empty()) return nullptr;
  auto out = nlohmann::ordered_json::array();
  for (const auto& item : items) out.push_back(convert(item));
  return out;
}

nlohmann::ordered_json strings_or_null(const std::vector<std::string>& items) {
  return list_or_null(items, [](const std::string& s) { return nlohmann::ordered_json(s); });
}

}  // namespace

Namespace namespace_from_json(const nlohmann::json& value, const JsonPath& at) {
  expect_object(value, at);
  Namespace ns;
  auto type = string_field(value, "type", at);
  auto parsed = namespace_type_from(type);
  if (!parsed) at.key("type").fail("unknown namespace type " + quote_for_message(type));
  ns.type = *parsed;
  ns.path = string_field(value, "path", at);
  return ns;
}

Namespaces namespaces_from_json(const nlohmann::json& value, const JsonPath& at) {
  std::vector<Namespace> list;
  if (value.is_null()) return {};
  read_array(value, at, [&](const nlohmann::json& item, const JsonPath& where) {
    list.push_back(namespace_from_json(item, where));
  });
  return Namespaces(std::move(list));
}

Network network_from_json(const nlohmann::json& value, const JsonPath& at) {
  expect_object(value, at);
  Network n;
  n.type = string_field(value, "type", at);
  n.name = string_field(value, "name", at);
  n.bridge = string_field(value, "bridge", at);
  n.mac_address = string_field(value, "mac_address", at);
  n.address = string_field(value, "address", at);
  n.gateway = string_field(value, "gateway", at);
  n.ipv6_address = string_field(value, "ipv6_address", at);
  n.ipv6_gateway = string_field(value, "ipv6_gateway", at);
  n.mtu = integer_field<int>(value, "mtu", at);
  n.txqueuelen = integer_field<int>(value, "txqueuelen", at);
  n.host_interface_name = string_field(value, "host_interface_name", at);
  n.hairpin_mode = bool_field(value, "hairpin_mode", at);
  return n;
}

Route route_from_json(const nlohmann::json& value, const JsonPath& at) {
  expect_object(value, at);
  Route r;
  r.destination = string_field(value, "destination", at);
  r.source = string_field(value, "source", at);
  r.gateway = string_field(value, "gateway", at);
  r.interface_name = string_field(value, "interface_name", at);
  return r;
}

Command command_from_json(const nlohmann::json& value, const JsonPath& at) {
  expect_object(value, at);
  Command c;
  c.path = string_field(value, "path", at);
  c.args = strings_field(value, "args", at);
  c.env = strings_field(value, "env", at);
  c.dir = string_field(value, "dir", at);
  if (const auto* timeout = find_member(value, "timeout")) {
    // The bundle's config.json counts seconds, libcontainer counts nanoseconds: say so.
    auto where = at.key("timeout");
    auto ns = read_integer<std::int64_t>(*timeout, where, "an integer (nanoseconds) or null");
    if (ns < 0) where.fail("negative (" + std::to_string(ns) + ")");
    c.timeout = std::chrono::nanoseconds(ns);
  }
  return c;
}

Hooks hooks_from_json(const nlohmann::json& value, const JsonPath& at) {
  Hooks hooks;
  if (value.is_null()) return hooks;
  expect_object(value, at);
  for (const auto& [key, list] : value.items()) {
    // Only the OCI spelling: the kebab-case one would not survive a round trip.
    auto name = hook_name_from(key);
    if (!name || to_string(*name) != key) at.fail("unknown hook name " + quote_for_message(key));
    if (list.is_null()) continue;
    read_array(list, at.key(key), [&](const nlohmann::json& item, const JsonPath& where) {
      hooks.add(*name, std::make_shared<CommandHook>(command_from_json(item, where)));
    });
  }
  return hooks;
}

Config config_from_json(const nlohmann::json& object, const JsonPath& at) {
  expect_object(object, at, "a JSON object");
  Config config;
  config.parent_death_signal = integer_field<int>(object, "parent_death_signal", at);
  config.rootfs = string_field(object, "rootfs", at);
  if (const auto* ns = find_member(object, "namespaces"))
    config.namespaces = namespaces_from_json(*ns, at.key("namespaces"));
  if (const auto* networks = find_member(object, "networks"))
    read_array(*networks, at.key("networks"), [&](const nlohmann::json& item, const JsonPath& where) {
      config.networks.push_back(network_from_json(item, where));
    });
  if (const auto* routes = find_member(object, "routes"))
    read_array(*routes, at.key("routes"), [&](const nlohmann::json& item, const JsonPath& where) {
      config.routes.push_back(route_from_json(item, where));
    });
  config.apparmor_profile = string_field(object, "apparmor_profile", at);
  config.process_label = string_field(object, "process_label", at);
  if (const auto* hooks = find_member(object, "Hooks")) config.hooks = hooks_from_json(*hooks, at.key("Hooks"));
  config.version = string_field(object, "version", at);
  config.labels = strings_field(object, "labels", at);
  return config;
}

nlohmann::ordered_json namespace_to_json(const Namespace& ns) {
  return {{"type", std::string(to_string(ns.type))}, {"path", ns.path}};
}

nlohmann::ordered_json namespaces_to_json(const Namespaces& namespaces) {
  return list_or_null(namespaces.list(), namespace_to_json);
}

nlohmann::ordered_json network_to_json(const Network& n) {
  // No omitempty on any configs.Network field: every key is always written.
  return {
      {"type", n.type},
      {"name", n.name},
      {"bridge", n.bridge},
      {"mac_address", n.mac_address},
      {"address", n.address},
      {"gateway", n.gateway},
      {"ipv6_address", n.ipv6_address},
      {"ipv6_gateway", n.ipv6_gateway},
      {"mtu", n.mtu},
      {"txqueuelen", n.txqueuelen},
      {"host_interface_name", n.host_interface_name},
      {"hairpin_mode", n.hairpin_mode},
  };
}

nlohmann::ordered_json route_to_json(const Route& r) {
  return {
      {"destination", r.destination},
      {"source", r.source},
      {"gateway", r.gateway},
      {"interface_name", r.interface_name},
  };
}

nlohmann::ordered_json command_to_json(const Command& c) {
  nlohmann::ordered_json out;
  out["path"] = c.path;
  out["args"] = strings_or_null(c.args);
  out["env"] = strings_or_null(c.env);
  out["dir"] = c.dir;
  out["timeout"] = c.timeout ? nlohmann::ordered_json(c.timeout->count()) : nlohmann::ordered_json(nullptr);
  return out;
}

nlohmann::ordered_json hooks_to_json(const Hooks& hooks) {
  // runc marshals a map[string]interface{}, and Go writes map keys sorted.
  std::map<std::string_view, HookName> sorted;
  for (auto name : hook_names()) sorted.emplace(to_string(name), name);
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, name] : sorted) {
    std::vector<Command> commands;
    // Like runc, hooks that are not commands cannot be written and are skipped.
    for (const auto& hook : hooks.at(name))
      if (const auto* command_hook = dynamic_cast<const CommandHook*>(hook.get()))
        commands.push_back(command_hook->command());
    out[std::string(key)] = list_or_null(commands, command_to_json);
  }
  return out;
}

nlohmann::ordered_json config_to_json(const Config& config) {
  nlohmann::ordered_json out;
  out["parent_death_signal"] = config.parent_death_signal;
  out["rootfs"] = config.rootfs;
  out["namespaces"] = namespaces_to_json(config.namespaces);
  out["networks"] = list_or_null(config.networks, network_to_json);
  out["routes"] = list_or_null(config.routes, route_to_json);
  if (!config.apparmor_profile.empty()) out["apparmor_profile"] = config.apparmor_profile;
  if (!config.process_label.empty()) out["process_label"] = config.process_label;
  out["Hooks"] = hooks_to_json(config.hooks);
  out["version"] = config.version;
  out["labels"] = strings_or_null(config.labels);
  return out;
}

}  // namespace hookwire
