// The one reader of a bundle's config.json (the OCI runtime spec the runtime was
// started with): the few fields hookwire needs from it. Internal.
#pragma once

#include <optional>
#include <string>

namespace hookwire {

/// What hookwire takes from BUNDLE/config.json.
struct BundleConfig {
  std::string rootfs;            // root.path, made absolute against the bundle
  bool rootfs_readonly = false;  // root.readonly
  std::string hostname;          // hostname; empty when unset
  std::string netns_path;        // linux.namespaces[type "network"].path; empty when none
};

/// Reads BUNDLE/config.json. nullopt when `bundle` is empty or "/" (crun's
/// startContainer) or holds no config.json. A file that cannot be read, is over
/// 4 MiB or is not JSON throws Error::input("bundle config ...: ...").
std::optional<BundleConfig> read_bundle_config(const std::string& bundle);

}  // namespace hookwire
