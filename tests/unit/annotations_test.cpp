#include <doctest/doctest.h>

#include <hookwire/error.h>

#include "annotations.h"

using hookwire::Error;
using hookwire::read_choices;
using hookwire::State;

namespace {

State with(std::map<std::string, std::string> annotations) {
  State state;
  state.id = "c1";
  state.annotations = std::move(annotations);
  return state;
}

}  // namespace

TEST_SUITE("annotations") {
  TEST_CASE("valid choices are read, and foreign annotations ignored") {
    auto choices = read_choices(with({{"io.hookwire.network", "web"},
                                      {"io.hookwire.ip", "10.213.0.9"},
                                      {"io.hookwire.ip6", "fd00:213::9"},
                                      {"io.hookwire.mac", "02:00:00:00:00:09"},
                                      {"io.container.manager", "libpod"}}));
    CHECK(choices.network == "web");
    CHECK(choices.ip->str() == "10.213.0.9");
    CHECK(choices.ip6->str() == "fd00:213::9");
    CHECK(choices.mac->str() == "02:00:00:00:00:09");
    CHECK_FALSE(choices.disabled);
    CHECK(read_choices(with({{"io.hookwire.disable", "true"}})).disabled);
    CHECK_FALSE(read_choices(with({{"io.hookwire.disable", "false"}})).disabled);
  }

  TEST_CASE("attacks through annotations are refused with one line") {
    struct Case {
      const char* key;
      std::string value;
      const char* message;
    };
    const Case cases[] = {
        {"io.hookwire.network", "../../etc/shadow",
         "annotation io.hookwire.network=\"../../etc/shadow\": not a profile name ([a-z0-9][a-z0-9_.-]{0,63})"},
        {"io.hookwire.network",
         "d\xd0\xb5"
         "fault",
         "annotation io.hookwire.network=\"d\xd0\xb5"
         "fault\": not a profile name ([a-z0-9][a-z0-9_.-]{0,63})"},
        {"io.hookwire.ip", "fd00::1", "annotation io.hookwire.ip=\"fd00::1\": not an IPv4 address"},
        {"io.hookwire.ip", "10.213.0.9/16", "annotation io.hookwire.ip=\"10.213.0.9/16\": not an IPv4 address"},
        {"io.hookwire.ip6", "10.0.0.1", "annotation io.hookwire.ip6=\"10.0.0.1\": not an IPv6 address"},
        {"io.hookwire.mac", "01:00:5e:00:00:01",
         "annotation io.hookwire.mac=\"01:00:5e:00:00:01\": not a unicast MAC address"},
        {"io.hookwire.mac", "ff:ff:ff:ff:ff:ff",
         "annotation io.hookwire.mac=\"ff:ff:ff:ff:ff:ff\": not a unicast MAC address"},
        {"io.hookwire.disable", "yes", "annotation io.hookwire.disable=\"yes\": expected true or false"},
        {"io.hookwire.bridge", "eth0",
         "annotation \"io.hookwire.bridge\": unknown io.hookwire annotation (known: io.hookwire.network, .ip, "
         ".ip6, .mac, .disable, .ports, .aliases)"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.key);
      CAPTURE(c.value);
      CHECK_THROWS_WITH_AS(read_choices(with({{c.key, c.value}})), c.message, Error);
    }
    SUBCASE("an unknown key with a newline and an overlong value is named quoted, in one line") {
      // Found by the annotations fuzzer: the length check came first and wrote the key as is.
      CHECK_THROWS_WITH_AS(read_choices(with({{"io.hookwire.net\nork", std::string(300, 'a')}})),
                           "annotation \"io.hookwire.net\\x0aork\": unknown io.hookwire annotation (known: "
                           "io.hookwire.network, .ip, .ip6, .mac, .disable, .ports, .aliases)",
                           Error);
    }
    SUBCASE("overlong values") {
      CHECK_THROWS_AS(read_choices(with({{"io.hookwire.network", std::string(300, 'a')}})), Error);
    }
  }

}  // TEST_SUITE
