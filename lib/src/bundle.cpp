#include "bundle.h"

#include <hookwire/error.h>

#include "fs_util.h"
#include "json_util.h"

namespace hookwire {

namespace {

constexpr std::size_t kMaxBundleConfigBytes = 4 << 20;

// `object[key]` when it is of the wanted type, else nullptr: the runtime has
// validated the spec already, and hookwire reads only the few fields it needs,
// ignoring any shape it does not understand rather than refusing the container.
const nlohmann::json* member(const nlohmann::json& object, std::string_view key, nlohmann::json::value_t type) {
  if (!object.is_object()) return nullptr;
  const auto* value = find_member(object, key);
  return value && value->type() == type ? value : nullptr;
}

}  // namespace

std::optional<BundleConfig> read_bundle_config(const std::string& bundle) {
  if (bundle.empty() || bundle == "/") return std::nullopt;
  std::string path = bundle + "/config.json";
  std::optional<std::string> text;
  try {
    text = read_file(path, kMaxBundleConfigBytes);
  } catch (const Error& e) {
    throw Error::input(std::string("bundle config: ") + e.what());
  }
  if (!text) return std::nullopt;
  auto document = parse_json_strict(*text, "bundle config " + path);
  using type = nlohmann::json::value_t;
  BundleConfig config;
  std::string root = "rootfs";
  if (const auto* spec_root = member(document, "root", type::object)) {
    if (const auto* p = member(*spec_root, "path", type::string)) root = p->get<std::string>();
    if (const auto* ro = member(*spec_root, "readonly", type::boolean)) config.rootfs_readonly = ro->get<bool>();
  }
  config.rootfs = root.starts_with("/") ? root : bundle + "/" + root;
  if (const auto* hostname = member(document, "hostname", type::string)) config.hostname = hostname->get<std::string>();
  if (const auto* linux_spec = member(document, "linux", type::object))
    if (const auto* namespaces = member(*linux_spec, "namespaces", type::array))
      for (const auto& ns : *namespaces)
        if (const auto* t = member(ns, "type", type::string); t && *t == "network")
          if (const auto* p = member(ns, "path", type::string)) config.netns_path = p->get<std::string>();
  return config;
}

}  // namespace hookwire
