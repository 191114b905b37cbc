// hookwire install and hooks-dir: put hookwire's hooks where runtimes look.
#include "commands.h"

#include <hookwire/error.h>
#include <hookwire/hooks.h>
#include <hookwire/profile.h>
#include <hookwire/stage.h>

#include "build_config.h"
#include "src/fs_util.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace hookwire::cli {

using Json = nlohmann::ordered_json;

namespace {

// Seconds the runtime gives each stage before killing it. The gate waits up to
// its own --timeout (5 s) within its 10, so it reports what was not ready.
int stage_timeout(HookName stage) {
  return stage == HookName::poststart ? 5 : 10;
}

// The options every installed hook is given; empty ones are left out.
struct PassedOptions {
  std::string state_dir, config_dir, log_file;

  void describe(CommandLine& line) {
    line.options.add_options()("state-dir", po::value(&state_dir)->value_name("DIR"),
                               "pass --state-dir DIR to the hooks")(
        "config-dir", po::value(&config_dir)->value_name("DIR"), "pass --config-dir DIR to the hooks")(
        "log-file", po::value(&log_file)->value_name("FILE"),
        "pass --log-file FILE to every hook but the startContainer gate (it runs in the container)");
  }
  Json args(const std::string& tool) const {
    Json out = Json::array({tool});
    for (const auto& [flag, value] :
         {std::pair{"--state-dir", state_dir}, {"--config-dir", config_dir}, {"--log-file", log_file}}) {
      if (value.empty()) continue;
      out.push_back(flag);
      out.push_back(value);
    }
    return out;
  }
};

Json hook_entry(const std::string& libexec, HookName stage, const PassedOptions& passed) {
  std::string tool = tool_name(stage);
  // The gate runs inside the container: host paths mean nothing there.
  Json args = stage == HookName::start_container ? Json::array({tool}) : passed.args(tool);
  return {{"path", libexec + "/" + tool}, {"args", args}, {"timeout", stage_timeout(stage)}};
}

// The permission bits of an existing file, so that rewriting it keeps them (less the umask).
unsigned mode_of(const std::string& path, unsigned otherwise) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : otherwise;
}

// Adds hookwire's hooks, the gate's bind mount and the annotation to one
// config.json document, keeping everything else; running it twice changes nothing.
void add_to_spec(Json& spec, const std::string& libexec, const std::optional<std::string>& network,
                 const PassedOptions& passed) {
  if (!spec.is_object()) throw Error::input("config.json: expected a JSON object");
  Json& hooks = spec["hooks"];
  if (hooks.is_null()) hooks = Json::object();
  for (auto stage : hook_names()) {
    Json& list = hooks[std::string(to_string(stage))];
    if (list.is_null()) list = Json::array();
    if (!list.is_array()) throw Error::input("config.json: hooks." + std::string(to_string(stage)) + ": not a list");
    Json entry = hook_entry(libexec, stage, passed);
    // Replace an earlier hookwire entry for this stage in place; else append.
    bool replaced = false;
    for (auto& existing : list) {
      if (existing.is_object() && existing.value("path", "") == entry["path"]) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) list.push_back(entry);
  }
  // startContainer runs after pivot_root: the runtime looks its path up inside the
  // rootfs, so the libexec dir is bind-mounted there, read-only, at the same path.
  Json& mounts = spec["mounts"];
  if (mounts.is_null()) mounts = Json::array();
  if (!mounts.is_array()) throw Error::input("config.json: mounts: not a list");
  Json mount = {{"destination", libexec},
                {"type", "bind"},
                {"source", libexec},
                {"options", Json::array({"rbind", "ro", "nosuid", "nodev"})}};
  bool found = false;
  for (auto& existing : mounts) {
    if (existing.is_object() && existing.value("destination", "") == libexec) {
      existing = mount;
      found = true;
    }
  }
  if (!found) mounts.push_back(mount);
  if (network) {
    Json& annotations = spec["annotations"];
    if (annotations.is_null()) annotations = Json::object();
    if (!annotations.is_object()) throw Error::input("config.json: annotations: not an object");
    annotations["io.hookwire.network"] = *network;
  }
}

}  // namespace

int run_install(const Args& args) {
  CommandLine line("install",
                   "Usage: hookwire install --bundle DIR [--network NAME] [--libexec DIR] [--state-dir DIR]\n"
                   "                        [--config-dir DIR] [--log-file FILE]\n\n"
                   "Adds hookwire's hooks for all six stages to DIR/config.json, with absolute\n"
                   "paths and timeouts, plus the read-only bind mount the startContainer gate\n"
                   "needs. Existing hooks, mounts and annotations are kept; running it again\n"
                   "changes nothing. The gate runs inside the container, where host paths mean\n"
                   "nothing: it gets none of --state-dir, --config-dir and --log-file.\n");
  std::string bundle, network, libexec = HOOKWIRE_LIBEXECDIR;
  PassedOptions passed;
  line.options.add_options()("bundle", po::value(&bundle)->value_name("DIR"),
                             "the OCI bundle whose config.json to edit")(
      "network", po::value(&network)->value_name("NAME"), "set the io.hookwire.network annotation to NAME")(
      "libexec", po::value(&libexec)->value_name("DIR"),
      ("where the hook binaries are (default " + std::string(HOOKWIRE_LIBEXECDIR) + ")").c_str());
  passed.describe(line);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  if (bundle.empty()) return fail("install: --bundle DIR is required", 2);
  if (libexec.empty() || libexec[0] != '/') return fail("install: --libexec must be an absolute path", 2);
  if (vm.count("network") && !is_valid_profile_name(network))
    return fail("install: --network: not a profile name ([a-z0-9][a-z0-9_.-]{0,63})", 2);
  std::string path = bundle + "/config.json";
  try {
    std::ifstream in(path);
    if (!in) return fail("install: " + path + ": " + std::strerror(errno), 2);
    std::stringstream text;
    text << in.rdbuf();
    Json spec;
    try {
      spec = Json::parse(text.str());
    } catch (const Json::exception& e) {
      return fail("install: " + path + ": not valid JSON", 2);
    }
    add_to_spec(spec, libexec, vm.count("network") ? std::optional(network) : std::nullopt, passed);
    write_file_atomic(bundle, "config.json", spec.dump(2) + "\n", mode_of(path, 0644));
    return 0;
  } catch (const Error& e) {
    return fail("install: " + std::string(e.what()), e.exit_code());
  }
}

int run_hooks_dir(const Args& args) {
  CommandLine line("hooks-dir",
                   "Usage: hookwire hooks-dir DIR [--libexec DIR] [--state-dir DIR] [--config-dir DIR]\n"
                   "                          [--log-file FILE]\n\n"
                   "Writes podman/CRI-O hooks.d files (schema 1.0.0) into DIR for createRuntime,\n"
                   "createContainer, poststart and poststop, each run only for containers with\n"
                   "an io.hookwire.network annotation. (startContainer is left out: it must run\n"
                   "from inside the rootfs, which hooks.d cannot arrange; prestart would repeat\n"
                   "createRuntime.)\n");
  std::string dir, libexec = HOOKWIRE_LIBEXECDIR;
  PassedOptions passed;
  line.options.add_options()("dir", po::value(&dir)->value_name("DIR"),
                             "where to write the hooks.d files (or give DIR as the operand)")(
      "libexec", po::value(&libexec)->value_name("DIR"),
      ("where the hook binaries are (default " + std::string(HOOKWIRE_LIBEXECDIR) + ")").c_str());
  passed.describe(line);
  line.positional.add("dir", 1);
  po::variables_map vm;
  if (auto code = parse(args, line, vm)) return *code;
  if (dir.empty()) return fail("hooks-dir: which directory? (hookwire hooks-dir DIR)", 2);
  if (libexec.empty() || libexec[0] != '/') return fail("hooks-dir: --libexec must be an absolute path", 2);
  try {
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw Error::system(errno, "create directory " + dir);
    for (auto stage : {HookName::create_runtime, HookName::create_container, HookName::poststart, HookName::poststop}) {
      Json file = {{"version", "1.0.0"},
                   {"hook", hook_entry(libexec, stage, passed)},
                   {"when", {{"annotations", {{"^io\\.hookwire\\.network$", ".*"}}}}},
                   {"stages", Json::array({std::string(to_string(stage))})}};
      // Readable by all, as the package's own hooks.d files are.
      write_file_atomic(dir, tool_name(stage) + ".json", file.dump(2) + "\n", 0644);
    }
    return 0;
  } catch (const Error& e) {
    return fail("hooks-dir: " + std::string(e.what()), e.exit_code());
  }
}

}  // namespace hookwire::cli
