#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/hooks.h>
#include <hookwire/state.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <unistd.h>

using hookwire::Command;
using hookwire::CommandHook;
using hookwire::Error;
using hookwire::HookName;
using hookwire::Hooks;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const CommandHook> sh_hook(const std::string& script) {
  Command command;
  command.path = "/bin/sh";
  command.args = {"sh", "-c", script};
  return std::make_shared<const CommandHook>(std::move(command));
}

hookwire::State a_state() {
  return hookwire::parse_state(R"({"ociVersion":"1.0.2-dev","id":"c1","status":"creating","pid":1,"bundle":"/b"})");
}

}  // namespace

TEST_SUITE("hooks") {
  TEST_CASE("hook names read both ways, OCI and kebab-case") {
    struct Row {
      HookName name;
      const char* oci;
      const char* kebab;
    };
    const Row rows[] = {
        {HookName::prestart, "prestart", "prestart"},
        {HookName::create_runtime, "createRuntime", "create-runtime"},
        {HookName::create_container, "createContainer", "create-container"},
        {HookName::start_container, "startContainer", "start-container"},
        {HookName::poststart, "poststart", "poststart"},
        {HookName::poststop, "poststop", "poststop"},
    };
    for (const auto& row : rows) {
      CAPTURE(row.oci);
      CHECK(hookwire::to_string(row.name) == row.oci);
      CHECK(hookwire::kebab_name(row.name) == row.kebab);
      CHECK(hookwire::hook_name_from(row.oci) == row.name);
      CHECK(hookwire::hook_name_from(row.kebab) == row.name);
    }
    SUBCASE("hook_names lists every stage in lifecycle order") {
      const auto& names = hookwire::hook_names();
      REQUIRE(names.size() == std::size(rows));
      for (std::size_t i = 0; i < names.size(); ++i) CHECK(names[i] == rows[i].name);
    }
    SUBCASE("anything else is no name") {
      for (const char* text :
           {"", "CreateRuntime", "create_runtime", "createruntime", "poststart ", "post-start", "startcontainer"}) {
        CAPTURE(text);
        CHECK_FALSE(hookwire::hook_name_from(text).has_value());
      }
    }
  }

  TEST_CASE("Hooks holds lists by stage") {
    Hooks hooks;
    CHECK(hooks.empty());
    CHECK(hooks.at(HookName::poststop).empty());

    auto first = sh_hook("exit 0");
    auto second = sh_hook("exit 0");
    hooks.add(HookName::poststop, first);
    hooks.add(HookName::poststop, second);
    CHECK_FALSE(hooks.empty());
    REQUIRE(hooks.at(HookName::poststop).size() == 2);
    CHECK(hooks.at(HookName::poststop)[0] == first);
    CHECK(hooks.at(HookName::poststop)[1] == second);
    CHECK(hooks.at(HookName::prestart).empty());

    SUBCASE("a null hook is refused when added, not when run") {
      CHECK_THROWS_WITH_AS(hooks.add(HookName::prestart, nullptr), "hooks: prestart: null hook", Error);
      CHECK(hooks.at(HookName::prestart).empty());
    }
  }

  TEST_CASE("Hooks::run runs a stage's hooks in order and stops at the first failure") {
    auto dir = fs::temp_directory_path() / ("hookwire-hooks-test-" + std::to_string(getpid()));
    fs::create_directories(dir);
    auto log = (dir / "log").string();
    Hooks hooks;
    auto state = a_state();

    SUBCASE("all succeed, in order") {
      hooks.add(HookName::create_runtime, sh_hook("echo one >> " + log));
      hooks.add(HookName::create_runtime, sh_hook("echo two >> " + log));
      CHECK_NOTHROW(hooks.run(HookName::create_runtime, state));
      CHECK_NOTHROW(hooks.run(HookName::poststop, state));  // no hooks: nothing to do
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK(text == "one\ntwo\n");
    }
    SUBCASE("the failure names its stage and index, counted from 0, like runc 1.1") {
      hooks.add(HookName::create_runtime, sh_hook("exit 0"));
      hooks.add(HookName::create_runtime, sh_hook("echo bad >&2; exit 3"));
      hooks.add(HookName::create_runtime, sh_hook("touch " + log));
      CHECK_THROWS_WITH_AS(hooks.run(HookName::create_runtime, state),
                           "error running createRuntime hook #1: error running hook: exit status 3, stdout: , "
                           "stderr: bad\\n",
                           Error);
      CHECK_FALSE(fs::exists(log));
    }
    SUBCASE("a hook that cannot start stops the list too") {
      Command missing;
      missing.path = "/no/such";
      hooks.add(HookName::poststop, std::make_shared<const CommandHook>(missing));
      hooks.add(HookName::poststop, sh_hook("touch " + log));
      CHECK_THROWS_WITH_AS(hooks.run(HookName::poststop, state),
                           "error running poststop hook #0: fork/exec /no/such: no such file or directory", Error);
      CHECK_FALSE(fs::exists(log));
    }

    fs::remove_all(dir);
  }

}  // TEST_SUITE
