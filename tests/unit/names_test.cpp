// The names a container answers to, the aliases annotation and the profile's
// dns.names / dns.domain keys: what the hooks record for the resolver.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ledger.h>
#include <hookwire/profile.h>

#include "annotations.h"
#include "dns_name.h"

using namespace hookwire;

namespace {

State with_aliases(const std::string& value) {
  State state;
  state.id = "c1";
  state.annotations = {{"io.hookwire.aliases", value}};
  return state;
}

std::string refusal(const std::string& value) {
  try {
    read_choices(with_aliases(value));
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

constexpr const char* kNamesProfile = R"({"networks": [{"type": "veth", "name": "eth0", "bridge": "hw-n"}],
  "ipam": {"ipv4": {"subnet": "10.70.0.0/24", "gateway": "10.70.0.1"}},
  "dns": {"names": true}})";

}  // namespace

TEST_SUITE("names") {
  TEST_CASE("labels and host names follow RFC 1123") {
    CHECK(is_valid_dns_label("web"));
    CHECK(is_valid_dns_label("Web-1"));
    CHECK(is_valid_dns_label(std::string(63, 'a')));
    CHECK_FALSE(is_valid_dns_label(std::string(64, 'a')));
    CHECK_FALSE(is_valid_dns_label(""));
    CHECK_FALSE(is_valid_dns_label("-web"));
    CHECK_FALSE(is_valid_dns_label("web-"));
    CHECK_FALSE(is_valid_dns_label("we_b"));
    CHECK_FALSE(is_valid_dns_label("web.x"));
    CHECK_FALSE(is_valid_dns_label(std::string("we\0b", 4)));
    CHECK(is_valid_dns_name("web.example"));
    CHECK_FALSE(is_valid_dns_name("web..example"));
    CHECK_FALSE(is_valid_dns_name(".web"));
    CHECK_FALSE(is_valid_dns_name("web."));
    CHECK_FALSE(is_valid_dns_name(std::string(127, 'a') + "." + std::string(126, 'b')));  // 254 bytes
  }

  TEST_CASE("a container answers to its hostname, its id (or short id) and its aliases, in lowercase") {
    CHECK(container_names("c1", "Web", {"db", "cache"}) == std::vector<std::string>{"web", "c1", "db", "cache"});
    CHECK(container_names("web", "web", {"web"}) == std::vector<std::string>{"web"});
    std::string long_id(64, 'f');
    CHECK(container_names(long_id, "", {}) == std::vector<std::string>{std::string(12, 'f')});
    CHECK(container_names("c_1", "bad_host", {}).empty());
  }

  TEST_CASE("io.hookwire.aliases: labels separated by commas, checked one by one") {
    CHECK(read_choices(with_aliases("web,DB-1")).aliases == std::vector<std::string>{"web", "db-1"});
    CHECK(refusal("") != "accepted");
    CHECK(refusal("web,") != "accepted");
    CHECK(refusal("web, db") != "accepted");
    CHECK(refusal("a.b") != "accepted");
    CHECK(refusal("web,WEB").find("listed twice") != std::string::npos);
    CHECK(refusal("-x").find("io.hookwire.aliases") != std::string::npos);
    std::string many;
    for (int i = 0; i < 17; ++i) many += (many.empty() ? "a" : ",a") + std::to_string(i);
    CHECK(refusal(many).find("more than 16") != std::string::npos);
    CHECK(refusal(std::string(300, 'a')).find("longer than") != std::string::npos);
  }

  TEST_CASE("dns.names defaults the domain; the keys are checked") {
    auto profile = parse_profile(kNamesProfile, "n");
    CHECK(profile.dns.names);
    CHECK(profile.dns.domain == "hookwire");
    auto problems = [](const std::string& dns) {
      auto profile = read_profile(R"({"networks": [{"type": "veth", "name": "eth0", "bridge": "hw-n"}],
        "ipam": {"ipv4": {"subnet": "10.70.0.0/24", "gateway": "10.70.0.1"}}, "dns": )" +
                                      dns + "}",
                                  "n");
      std::string all;
      for (const auto& line : validate(profile)) all += line + "\n";
      return all;
    };
    CHECK(problems(R"({"names": true, "domain": "cluster.local"})").empty());
    CHECK(problems(R"({"names": true, "domain": "Bad"})").find("dns.domain") != std::string::npos);
    CHECK(problems(R"({"names": true, "domain": "a..b"})").find("dns.domain") != std::string::npos);
    CHECK(problems(R"({"domain": "x"})").find("needs dns.names") != std::string::npos);
    CHECK(problems(R"({"names": true, "nameservers": ["1.1.1.1"]})").find("dns.names") != std::string::npos);
    CHECK_THROWS_AS(read_profile(R"({"dns": {"names": "yes"}})", "n"), Error);
    auto no_pool = read_profile(R"({"networks": [{"type": "loopback"}], "dns": {"names": true}})", "n");
    CHECK_FALSE(validate(no_pool).empty());
  }
}
