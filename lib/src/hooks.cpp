// Hook names and the per-stage hook lists of libcontainer/configs.
#include <hookwire/hooks.h>

#include <hookwire/error.h>

#include <algorithm>
#include <exception>

namespace hookwire {

namespace {

struct Names {
  HookName name;
  std::string_view oci;
  std::string_view kebab;
};

constexpr std::array<Names, 6> kNames{{
    {HookName::prestart, "prestart", "prestart"},
    {HookName::create_runtime, "createRuntime", "create-runtime"},
    {HookName::create_container, "createContainer", "create-container"},
    {HookName::start_container, "startContainer", "start-container"},
    {HookName::poststart, "poststart", "poststart"},
    {HookName::poststop, "poststop", "poststop"},
}};

const Names& names_of(HookName name) {
  return kNames[static_cast<std::size_t>(name)];
}

}  // namespace

std::string_view to_string(HookName name) {
  return names_of(name).oci;
}

std::string_view kebab_name(HookName name) {
  return names_of(name).kebab;
}

std::string tool_name(HookName name) {
  return "hookwire-" + std::string(kebab_name(name));
}

std::optional<HookName> hook_name_from(std::string_view text) {
  for (const auto& names : kNames)
    if (text == names.oci || text == names.kebab) return names.name;
  return std::nullopt;
}

const std::array<HookName, 6>& hook_names() {
  static constexpr std::array<HookName, 6> kAll{HookName::prestart,         HookName::create_runtime,
                                                HookName::create_container, HookName::start_container,
                                                HookName::poststart,        HookName::poststop};
  return kAll;
}

void Hooks::add(HookName name, std::shared_ptr<const Hook> hook) {
  // A null entry would only fail later, at run time, far from the mistake.
  if (!hook) throw Error::input("hooks: " + std::string(to_string(name)) + ": null hook");
  by_name_[name].push_back(std::move(hook));
}

const std::vector<std::shared_ptr<const Hook>>& Hooks::at(HookName name) const {
  static const std::vector<std::shared_ptr<const Hook>> kNone;
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNone : it->second;
}

bool Hooks::empty() const {
  return std::all_of(by_name_.begin(), by_name_.end(), [](const auto& entry) { return entry.second.empty(); });
}

void Hooks::run(HookName name, const State& state) const {
  const auto& list = at(name);
  for (std::size_t i = 0; i < list.size(); ++i) {
    try {
      list[i]->run(state);
    } catch (const std::exception& e) {
      // Always exit 1, even for an input error: this stage's own work is already done.
      throw Error::failed("error running " + std::string(to_string(name)) + " hook #" + std::to_string(i) + ": " +
                          e.what());
    }
  }
}

}  // namespace hookwire
