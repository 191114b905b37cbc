// Hooks, modelled on libcontainer/configs (config.go): HookName, Hook, CommandHook
// and Hooks. The Command a CommandHook runs is in command.h.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hookwire/command.h>
#include <hookwire/export.h>
#include <hookwire/state.h>

namespace hookwire {

/// The OCI lifecycle stages, in the order runc runs them: libcontainer's Prestart,
/// CreateRuntime, ... in snake_case (README.md); JSON spells them as OCI does (to_string).
enum class HookName { prestart, create_runtime, create_container, start_container, poststart, poststop };

/// The OCI / JSON name: "prestart", "createRuntime", ...
HOOKWIRE_EXPORT std::string_view to_string(HookName name);
/// The kebab-case name used for binaries: "prestart", "create-runtime", ...
HOOKWIRE_EXPORT std::string_view kebab_name(HookName name);
/// The name of the stage's hookwire binary: "hookwire-create-runtime".
HOOKWIRE_EXPORT std::string tool_name(HookName name);
/// Accepts both the OCI name and the kebab-case one; nullopt otherwise.
HOOKWIRE_EXPORT std::optional<HookName> hook_name_from(std::string_view text);
/// Every stage, in lifecycle order.
HOOKWIRE_EXPORT const std::array<HookName, 6>& hook_names();

/// Something run at a stage with the container's State.
class HOOKWIRE_EXPORT Hook {
 public:
  virtual ~Hook() = default;
  /// Runs the hook. Throws Error::system with a runc-style message on failure.
  virtual void run(const State& state) const = 0;
};

/// A Hook that runs a Command.
class HOOKWIRE_EXPORT CommandHook : public Hook {
 public:
  explicit CommandHook(Command command) : command_(std::move(command)) {}
  void run(const State& state) const override { command_.run(state); }
  const Command& command() const { return command_; }

 private:
  Command command_;
};

/// The hooks of a config, by stage. Serialized under the key "Hooks".
class HOOKWIRE_EXPORT Hooks {
 public:
  void add(HookName name, std::shared_ptr<const Hook> hook);
  const std::vector<std::shared_ptr<const Hook>>& at(HookName name) const;
  bool empty() const;

  /// Runs the hooks of `name` in order, stopping at the first failure:
  ///   "error running createRuntime hook #1: error running hook: ..."
  void run(HookName name, const State& state) const;

 private:
  std::map<HookName, std::vector<std::shared_ptr<const Hook>>> by_name_;
};

}  // namespace hookwire
