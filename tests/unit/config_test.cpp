#include <doctest/doctest.h>

#include <hookwire/config.h>
#include <hookwire/error.h>
#include <hookwire/validate.h>

#include "config_json.h"
#include "go_json.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

using hookwire::Command;
using hookwire::CommandHook;
using hookwire::Config;
using hookwire::dump_like_go;
using hookwire::Error;
using hookwire::HookName;
using hookwire::Hooks;
using hookwire::NamespaceType;
using hookwire::Network;
using hookwire::parse_config;
using hookwire::Route;
using nlohmann::json;
using nlohmann::ordered_json;
using namespace std::chrono_literals;

// The cases name only the fields they are about (Network{.type = "veth", ...});
// GCC 12 still warns about the fields left to their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(HOOKWIRE_TEST_DATA) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing test data ", name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The keys hookwire models, in Go's field order.
const char* const kModelledKeys[] = {"parent_death_signal", "rootfs",        "namespaces", "networks", "routes",
                                     "apparmor_profile",    "process_label", "Hooks",      "version",  "labels"};

std::vector<Command> commands_at(const Hooks& hooks, HookName name) {
  std::vector<Command> out;
  for (const auto& hook : hooks.at(name))
    if (const auto* command_hook = dynamic_cast<const CommandHook*>(hook.get())) out.push_back(command_hook->command());
  return out;
}

// Config has no operator== (Hooks hold pointers), so compare what it models.
void check_same_config(const Config& a, const Config& b) {
  CHECK(a.parent_death_signal == b.parent_death_signal);
  CHECK(a.rootfs == b.rootfs);
  CHECK(a.namespaces == b.namespaces);
  CHECK(a.networks == b.networks);
  CHECK(a.routes == b.routes);
  CHECK(a.apparmor_profile == b.apparmor_profile);
  CHECK(a.process_label == b.process_label);
  for (auto name : hookwire::hook_names()) {
    CAPTURE(hookwire::to_string(name));
    CHECK(commands_at(a.hooks, name) == commands_at(b.hooks, name));
  }
  CHECK(a.version == b.version);
  CHECK(a.labels == b.labels);
}

// A Hook that is not a command: runc cannot serialize those either.
class InProcessHook : public hookwire::Hook {
 public:
  void run(const hookwire::State&) const override {}
};

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("a config written by runc 1.1.5 parses, ignoring what hookwire does not model") {
    auto text = read_data("runc-1.1.5-config.json");
    auto config = parse_config(text);

    CHECK(config.parent_death_signal == 0);
    CHECK(config.rootfs.rfind("/tmp/", 0) == 0);
    CHECK(config.rootfs.ends_with("/rootfs"));
    REQUIRE(config.namespaces.list().size() == 5);
    CHECK(config.namespaces.Contains(NamespaceType::newnet));
    CHECK(config.namespaces.PathOf(NamespaceType::newnet).empty());
    CHECK(config.namespaces.list()[0].type == NamespaceType::newpid);
    // runc's specconv adds a loopback for a new netns, and nothing else.
    REQUIRE(config.networks.size() == 1);
    CHECK(config.networks[0] == Network{.type = "loopback"});
    CHECK(config.routes.empty());
    CHECK(config.hooks.empty());
    CHECK(config.apparmor_profile.empty());
    CHECK(config.process_label.empty());
    CHECK(config.version == "1.0.2-dev");
    REQUIRE(config.labels.size() == 1);
    CHECK(config.labels[0].rfind("bundle=/tmp/", 0) == 0);
    CHECK(hookwire::validate(config).empty());

    SUBCASE("its modelled fields survive parse, serialize, parse") {
      check_same_config(parse_config(hookwire::to_json(config)), config);
    }
    SUBCASE("each serialized key holds the value runc wrote") {
      auto original = json::parse(text);
      auto written = json::parse(hookwire::to_json(config));
      for (const char* key : kModelledKeys) {
        CAPTURE(key);
        // omitempty: absent from both, or present in both with the same value.
        CHECK(original.contains(key) == written.contains(key));
        if (written.contains(key)) CHECK(written[key] == original[key]);
      }
      CHECK(written.size() == 8);
    }
    SUBCASE("serialization is byte-identical to runc's modelled keys, in runc's order") {
      auto original = ordered_json::parse(text);
      ordered_json modelled = ordered_json::object();
      for (const auto& [key, value] : original.items())
        if (std::find(std::begin(kModelledKeys), std::end(kModelledKeys), key) != std::end(kModelledKeys))
          modelled[key] = value;
      CHECK(hookwire::to_json(config) == dump_like_go(modelled));
    }
  }

  TEST_CASE("a config with every modelled field set round-trips byte for byte") {
    auto text = read_data("config-all-fields.json");
    auto config = parse_config(text);
    CHECK(hookwire::to_json(config) == text);

    CHECK(config.parent_death_signal == 9);
    CHECK(config.namespaces.PathOf(NamespaceType::newnet) == "/var/run/netns/n1");
    REQUIRE(config.networks.size() == 2);
    CHECK(config.networks[1] == Network{.type = "veth",
                                        .name = "eth0",
                                        .bridge = "hookwire0",
                                        .mac_address = "02:42:ac:11:00:02",
                                        .address = "10.213.0.7/16",
                                        .gateway = "10.213.0.1",
                                        .ipv6_address = "fd00:213::7/64",
                                        .ipv6_gateway = "fd00:213::1",
                                        .mtu = 1450,
                                        .txqueuelen = 1000,
                                        .host_interface_name = "hw1a2b3c",
                                        .hairpin_mode = true});
    REQUIRE(config.routes.size() == 2);
    CHECK(config.routes[0] == Route{"192.168.50.0/24", "10.213.0.7", "10.213.0.254", "eth0"});
    CHECK(config.apparmor_profile == "hookwire-test");
    CHECK(config.process_label == "system_u:system_r:container_t:s0");
    auto create_runtime = commands_at(config.hooks, HookName::create_runtime);
    REQUIRE(create_runtime.size() == 2);
    CHECK(create_runtime[0].args.back() == "/tmp/a<b>&c.log");
    CHECK(create_runtime[0].timeout == 2s);
    CHECK_FALSE(create_runtime[1].timeout.has_value());
    auto poststop = commands_at(config.hooks, HookName::poststop);
    REQUIRE(poststop.size() == 1);
    CHECK(poststop[0].timeout == 0ns);
    CHECK(commands_at(config.hooks, HookName::prestart).empty());
    CHECK(config.labels == std::vector<std::string>{"bundle=/tmp/b", "io.hookwire.network=default"});
    CHECK(hookwire::validate(config).empty());
  }

  TEST_CASE("unknown keys are ignored, including a profile's own ipam, dns and sysctls") {
    auto config = parse_config(R"({
  "networks": [{"type": "veth", "name": "eth0", "bridge": "hookwire0", "colour": "blue"}],
  "ipam": {"ipv4": {"subnet": "10.213.0.0/16", "gateway": "10.213.0.1"}},
  "dns": {"nameservers": ["10.213.0.1"]},
  "sysctls": {"net.ipv4.ip_forward": "1"},
  "mounts": [{"source": "proc"}], "cgroups": {"path": "x"}, "Hooks": {}
})");
    REQUIRE(config.networks.size() == 1);
    CHECK(config.networks[0].bridge == "hookwire0");
    CHECK(config.hooks.empty());
  }

  TEST_CASE("null reads as empty, for lists, objects and scalars alike") {
    SUBCASE("every list and object of a Config") {
      auto config = parse_config(
          R"({"namespaces":null,"networks":null,"routes":null,"Hooks":null,"labels":null,"rootfs":null,"parent_death_signal":null})");
      CHECK(config.namespaces.empty());
      CHECK(config.networks.empty());
      CHECK(config.routes.empty());
      CHECK(config.hooks.empty());
      CHECK(config.labels.empty());
      CHECK(config.rootfs.empty());
    }
    SUBCASE("hook lists and a command's lists") {
      auto config = parse_config(
          R"({"Hooks":{"prestart":null,"poststop":[{"path":"/bin/true","args":null,"env":null,"dir":null,"timeout":null}]}})");
      auto poststop = commands_at(config.hooks, HookName::poststop);
      REQUIRE(poststop.size() == 1);
      CHECK(poststop[0] == Command{.path = "/bin/true"});
    }
    SUBCASE("a network's fields") {
      auto config = parse_config(R"({"networks":[{"type":"loopback","mtu":null,"hairpin_mode":null,"name":null}]})");
      CHECK(config.networks[0] == Network{.type = "loopback"});
    }
  }

  TEST_CASE("an empty config serializes like Go's zero value") {
    CHECK(
        hookwire::to_json(Config{}) ==
        R"({"parent_death_signal":0,"rootfs":"","namespaces":null,"networks":null,"routes":null,)"
        R"("Hooks":{"createContainer":null,"createRuntime":null,"poststart":null,"poststop":null,"prestart":null,"startContainer":null},)"
        R"("version":"","labels":null})");
    SUBCASE("empty JSON lists come back as null, as a nil slice would") {
      auto text =
          hookwire::to_json(parse_config(R"({"networks":[],"labels":[],"namespaces":[],"Hooks":{"prestart":[]}})"));
      CHECK(text == hookwire::to_json(Config{}));
    }
  }

  TEST_CASE("each type serializes byte-exactly as runc writes it") {
    SUBCASE("a Network writes all twelve keys, none omitted") {
      Network n{.type = "veth", .name = "eth0", .bridge = "br0", .address = "10.0.0.2/24", .mtu = 1500};
      CHECK(
          dump_like_go(hookwire::network_to_json(n)) ==
          R"({"type":"veth","name":"eth0","bridge":"br0","mac_address":"","address":"10.0.0.2/24","gateway":"",)"
          R"("ipv6_address":"","ipv6_gateway":"","mtu":1500,"txqueuelen":0,"host_interface_name":"","hairpin_mode":false})");
    }
    SUBCASE("a Route") {
      CHECK(dump_like_go(hookwire::route_to_json(Route{"0.0.0.0/0", "", "10.0.0.1", "eth0"})) ==
            R"({"destination":"0.0.0.0/0","source":"","gateway":"10.0.0.1","interface_name":"eth0"})");
    }
    SUBCASE("a Command") {
      SUBCASE("with a timeout in nanoseconds") {
        Command c{.path = "/bin/hook", .args = {"hook", "-v"}, .env = {"A=1"}, .dir = "/tmp", .timeout = 1500ms};
        CHECK(dump_like_go(hookwire::command_to_json(c)) ==
              R"({"path":"/bin/hook","args":["hook","-v"],"env":["A=1"],"dir":"/tmp","timeout":1500000000})");
      }
      SUBCASE("without one, and with nil lists") {
        CHECK(dump_like_go(hookwire::command_to_json(Command{.path = "/bin/hook"})) ==
              R"({"path":"/bin/hook","args":null,"env":null,"dir":"","timeout":null})");
      }
    }
    SUBCASE("Hooks: all six stages, sorted, in order within a stage") {
      Hooks hooks;
      hooks.add(HookName::poststop, std::make_shared<CommandHook>(Command{.path = "/b"}));
      hooks.add(HookName::create_runtime, std::make_shared<CommandHook>(Command{.path = "/a", .timeout = 0ns}));
      hooks.add(HookName::poststop, std::make_shared<CommandHook>(Command{.path = "/c", .args = {"c"}}));
      CHECK(dump_like_go(hookwire::hooks_to_json(hooks)) ==
            R"({"createContainer":null,"createRuntime":[{"path":"/a","args":null,"env":null,"dir":"","timeout":0}],)"
            R"("poststart":null,"poststop":[{"path":"/b","args":null,"env":null,"dir":"","timeout":null},)"
            R"({"path":"/c","args":["c"],"env":null,"dir":"","timeout":null}],"prestart":null,"startContainer":null})");
      SUBCASE("hooks that are not commands are skipped, as runc skips them") {
        hooks.add(HookName::prestart, std::make_shared<InProcessHook>());
        CHECK(hookwire::hooks_to_json(hooks)["prestart"].is_null());
        hooks.add(HookName::prestart, std::make_shared<CommandHook>(Command{.path = "/d"}));
        CHECK(hookwire::hooks_to_json(hooks)["prestart"].size() == 1);
      }
    }
    SUBCASE("a Namespace") {
      CHECK(dump_like_go(hookwire::namespace_to_json({NamespaceType::newnet, "/proc/1/ns/net"})) ==
            R"({"type":"NEWNET","path":"/proc/1/ns/net"})");
    }
    SUBCASE("apparmor_profile and process_label appear only when set (omitempty)") {
      Config config;
      config.process_label = "x";
      auto written = json::parse(hookwire::to_json(config));
      CHECK_FALSE(written.contains("apparmor_profile"));
      CHECK(written["process_label"] == "x");
    }
  }

  TEST_CASE("strings are escaped exactly as Go's encoding/json escapes them") {
    auto go = [](std::string s) { return dump_like_go(ordered_json(std::move(s))); };
    CHECK(go("plain /path") == R"("plain /path")");
    CHECK(go("<a> & b") == R"("\u003ca\u003e \u0026 b")");
    CHECK(go("q\" b\\ n\n r\r t\t") == R"("q\" b\\ n\n r\r t\t")");
    // Go 1.19 has no short forms for \b and \f.
    CHECK(go("\b\f\x01\x1f") == R"("\u0008\u000c\u0001\u001f")");
    CHECK(go("del\x7f") == "\"del\x7f\"");
    CHECK(go("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"");
    CHECK(go("line\xe2\x80\xa8para\xe2\x80\xa9") == R"("line\u2028para\u2029")");
    SUBCASE("each invalid UTF-8 byte becomes \\ufffd, a real U+FFFD stays as it is") {
      CHECK(go("a\xff") == R"("a\ufffd")");
      CHECK(go("\xc0\xaf") == R"("\ufffd\ufffd")");                      // overlong '/'
      CHECK(go("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");            // a surrogate
      CHECK(go("\xe2\x82") == R"("\ufffd\ufffd")");                      // cut short
      CHECK(go("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
      CHECK(go("\xef\xbf\xbd") == "\"\xef\xbf\xbd\"");
    }
    SUBCASE("inside a whole config, keys and nesting included") {
      Config config;
      config.labels = {"a<b"};
      CHECK(hookwire::to_json(config).ends_with(R"("labels":["a\u003cb"]})"));
    }
  }

  TEST_CASE("bad config input gets a one-line message naming the JSON path") {
    struct Case {
      std::string input;
      std::string message;
    };
    const Case cases[] = {
        {"[1]", "config: expected a JSON object, got an array"},
        {"{",
         "config: not valid JSON: parse error at line 1, column 2: syntax error while parsing object key - "
         "unexpected end of input; expected string literal"},
        {R"({"rootfs":"/a","rootfs":"/b"})", "config: duplicate key \"rootfs\""},
        {R"({"rootfs":5})", "config: rootfs: expected a string, got a number"},
        {R"({"parent_death_signal":"KILL"})", "config: parent_death_signal: expected an integer, got a string"},
        {R"({"parent_death_signal":-2147483649})", "config: parent_death_signal: out of range (-2147483649)"},
        {R"({"networks":"eth0"})", "config: networks: expected an array, got a string"},
        {R"({"networks":[{},5]})", "config: networks[1]: expected an object, got a number"},
        {R"({"networks":[{},{"mtu":"1500"}]})", "config: networks[1].mtu: expected an integer, got a string"},
        {R"({"networks":[{"mtu":1500.5}]})", "config: networks[0].mtu: expected an integer, got a fraction"},
        {R"({"networks":[{"mtu":1e30}]})", "config: networks[0].mtu: out of range (1e+30)"},
        {R"({"networks":[{"txqueuelen":4294967296}]})", "config: networks[0].txqueuelen: out of range (4294967296)"},
        {R"({"networks":[{"hairpin_mode":"yes"}]})",
         "config: networks[0].hairpin_mode: expected a boolean, got a string"},
        {R"({"networks":[{"name":["eth0"]}]})", "config: networks[0].name: expected a string, got an array"},
        {R"({"routes":[{"gateway":true}]})", "config: routes[0].gateway: expected a string, got a boolean"},
        {R"({"routes":{}})", "config: routes: expected an array, got an object"},
        {R"({"namespaces":[{"type":"NEWFOO"}]})", "config: namespaces[0].type: unknown namespace type \"NEWFOO\""},
        {R"({"namespaces":[{"type":"NEWNET","path":1}]})",
         "config: namespaces[0].path: expected a string, got a number"},
        {R"({"namespaces":{"type":"NEWNET"}})", "config: namespaces: expected an array, got an object"},
        {R"({"labels":["a",true]})", "config: labels[1]: expected a string, got a boolean"},
        {R"({"Hooks":[]})", "config: Hooks: expected an object, got an array"},
        {R"({"Hooks":{"foo":[]}})", "config: Hooks: unknown hook name \"foo\""},
        {R"({"Hooks":{"create-runtime":[]}})", "config: Hooks: unknown hook name \"create-runtime\""},
        {R"({"Hooks":{"prestart":{}}})", "config: Hooks.prestart: expected an array, got an object"},
        {R"({"Hooks":{"prestart":["/bin/true"]}})", "config: Hooks.prestart[0]: expected an object, got a string"},
        {R"({"Hooks":{"poststop":[{"path":"/a"},{"path":2}]}})",
         "config: Hooks.poststop[1].path: expected a string, got a number"},
        {R"({"Hooks":{"prestart":[{"path":"/a","args":[1]}]}})",
         "config: Hooks.prestart[0].args[0]: expected a string, got a number"},
        {R"({"Hooks":{"prestart":[{"path":"/a","env":"A=1"}]}})",
         "config: Hooks.prestart[0].env: expected an array, got a string"},
        {R"({"Hooks":{"prestart":[{"path":"/a","timeout":-1}]}})", "config: Hooks.prestart[0].timeout: negative (-1)"},
        {R"({"Hooks":{"prestart":[{"path":"/a","timeout":1.5}]}})",
         "config: Hooks.prestart[0].timeout: expected an integer (nanoseconds) or null, got a fraction"},
        {R"({"Hooks":{"prestart":[{"path":"/a","timeout":"5s"}]}})",
         "config: Hooks.prestart[0].timeout: expected an integer (nanoseconds) or null, got a string"},
        {R"({"Hooks":{"prestart":[{"path":"/a","timeout":9223372036854775808}]}})",
         "config: Hooks.prestart[0].timeout: out of range (9223372036854775808)"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.input);
      CHECK_THROWS_WITH_AS(parse_config(c.input), c.message.c_str(), Error);
      try {
        parse_config(c.input);
      } catch (const Error& e) {
        CHECK(e.exit_code() == 2);
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
      }
    }
  }

  TEST_CASE("the converters name the document they are given, for the profile reader") {
    auto profile = json::parse(R"({"networks":[{"type":"veth","mtu":"big"}]})");
    CHECK_THROWS_WITH_AS(hookwire::config_from_json(profile, hookwire::JsonPath("profile web")),
                         "profile web: networks[0].mtu: expected an integer, got a string", Error);
    hookwire::JsonPath root("profile web");
    CHECK_THROWS_WITH_AS(hookwire::route_from_json(json::array(), root.key("routes").index(2)),
                         "profile web: routes[2]: expected an object, got an array", Error);
    CHECK(hookwire::command_from_json(json::parse(R"({"path":"/x","timeout":5})"), root).timeout == 5ns);
  }

}  // TEST_SUITE
