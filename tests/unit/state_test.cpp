#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/state.h>

#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

using hookwire::Error;
using hookwire::parse_state;

TEST_SUITE("state") {
  TEST_CASE("every State captured from runc 1.1.5 parses") {
    const char* samples[] = {
        R"({"ociVersion":"1.0.2-dev","id":"t1","status":"creating","pid":5667,"bundle":"/tmp/lab/bundle","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0.2-dev","id":"t1","status":"creating","pid":1,"bundle":"/tmp/lab/bundle","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0.2-dev","id":"t1","status":"created","pid":1,"bundle":"/tmp/lab/bundle","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0.2-dev","id":"t1","status":"created","pid":5667,"bundle":"/tmp/lab/bundle","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0.2-dev","id":"t1","status":"stopped","bundle":"/tmp/lab/bundle","annotations":{"org.example.net":"br-test"}})",
    };
    for (const char* sample : samples) {
      CAPTURE(sample);
      auto state = parse_state(sample);
      CHECK(state.id == "t1");
      CHECK(state.oci_version == "1.0.2-dev");
      CHECK(state.bundle == "/tmp/lab/bundle");
      CHECK(state.annotation("org.example.net") == "br-test");
      CHECK(state.raw == sample);
    }
    SUBCASE("createRuntime carries the host pid") {
      auto state = parse_state(samples[0]);
      CHECK(state.status == "creating");
      CHECK(state.pid == 5667);
    }
    SUBCASE("poststop has no pid key") {
      auto state = parse_state(samples[4]);
      CHECK(state.status == "stopped");
      CHECK_FALSE(state.pid.has_value());
    }
  }

  TEST_CASE("every State captured from crun 1.8.1 parses, pid 0 meaning no pid") {
    const char* samples[] = {
        R"({"ociVersion":"1.0","id":"c1","pid":9937,"root":"rootfs","bundle":"/tmp/lab/bundle","status":"created","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0","id":"c1","pid":0,"root":"rootfs","bundle":"/tmp/lab/bundle","status":"created","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0","id":"c1","pid":0,"root":"rootfs","bundle":"/","status":"starting","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0","id":"c1","pid":9937,"root":"rootfs","bundle":"/tmp/lab/bundle","status":"running","annotations":{"org.example.net":"br-test"}})",
        R"({"ociVersion":"1.0","id":"c1","pid":0,"root":"rootfs","bundle":"/tmp/lab/bundle","status":"stopped","annotations":{"org.example.net":"br-test"}})",
    };
    for (const char* sample : samples) {
      CAPTURE(sample);
      auto state = parse_state(sample);
      CHECK(state.id == "c1");
      CHECK(state.oci_version == "1.0");
    }
    CHECK(parse_state(samples[0]).pid == 9937);
    CHECK_FALSE(parse_state(samples[1]).pid.has_value());
    auto starting = parse_state(samples[2]);
    CHECK(starting.status == "starting");
    CHECK(starting.bundle == "/");
  }

  TEST_CASE("a podman State with a 64-hex id and podman's own annotations parses") {
    std::string id(64, 'a');
    std::string json = R"({"ociVersion":"1.0.2-dev","id":")" + id +
                       R"(","status":"creating","pid":4242,"bundle":"/var/lib/containers/storage/overlay-containers/)" +
                       id +
                       R"(/userdata","annotations":{"io.container.manager":"libpod","io.hookwire.network":"default"}})";
    auto state = parse_state(json);
    CHECK(state.id == id);
    CHECK(state.annotation("io.container.manager") == "libpod");
    CHECK(state.annotation("io.hookwire.network") == "default");
  }

  TEST_CASE("bad State input gets its exact one-line message") {
    struct Case {
      std::string input;
      std::string message;
    };
    const Case cases[] = {
        {"not json",
         "state: not valid JSON: parse error at line 1, column 2: syntax error while parsing value - invalid literal; "
         "last read: 'no'"},
        {"[1,2]", "state: expected a JSON object, got an array"},
        {R"({"status":"created"})", "state: id: missing"},
        {R"({"id":""})", "state: id: empty"},
        {R"({"id":null})", "state: id: missing"},
        {R"({"id":42})", "state: id: expected a string, got a number"},
        {R"({"id":"a","pid":"12"})", "state: pid: expected an integer, got a string"},
        {R"({"id":"a","pid":1.5})", "state: pid: expected an integer, got a fraction"},
        {R"({"id":"a","pid":-4})", "state: pid: negative (-4)"},
        {R"({"id":"a","pid":4294967296})", "state: pid: out of range (4294967296)"},
        {R"({"id":"a","bundle":"rel/dir"})", "state: bundle: not an absolute path: \"rel/dir\""},
        {R"({"id":"a","bundle":7})", "state: bundle: expected a string, got a number"},
        {R"({"id":"a","annotations":["x"]})", "state: annotations: expected an object of strings, got an array"},
        {R"({"id":"a","annotations":{"k":1}})", "state: annotations[\"k\"]: expected a string, got a number"},
        {R"({"id":"a","status":"exploded"})", "state: status: unknown status \"exploded\""},
        {R"({"id":"a","id":"b"})", "state: duplicate key \"id\""},
    };
    for (const auto& c : cases) {
      CAPTURE(c.input);
      CHECK_THROWS_WITH_AS(parse_state(c.input), c.message.c_str(), Error);
      try {
        parse_state(c.input);
      } catch (const Error& e) {
        CHECK(e.exit_code() == 2);
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
      }
    }
  }

  // Issue 10: nlohmann reads an integer too long for 64 bits as a double, and the pid
  // reader called 1e30 "a fraction".
  TEST_CASE("a huge pid is reported as out of range, not as a fraction") {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"id":"a","pid":1e30})", "state: pid: out of range (1e+30)"},
        {R"({"id":"a","pid":99999999999999999999999})", "state: pid: out of range (9.999999999999999e+22)"},
        {R"({"id":"a","pid":-1e30})", "state: pid: out of range (-1e+30)"},
        {R"({"id":"a","pid":18446744073709551616})", "state: pid: out of range (1.8446744073709552e+19)"},
    };
    for (const auto& [input, message] : cases) {
      CAPTURE(input);
      CHECK_THROWS_WITH_AS(parse_state(input), message, Error);
      try {
        parse_state(input);
      } catch (const Error& e) {
        CHECK(e.exit_code() == 2);
      }
    }
    // A fraction is still a fraction.
    CHECK_THROWS_WITH_AS(parse_state(R"({"id":"a","pid":1.5})"), "state: pid: expected an integer, got a fraction",
                         Error);
  }

  TEST_CASE("ids that could escape the state dir are refused") {
    for (const std::string& id :
         std::vector<std::string>{"../etc", "a/b", "..", ".", ".hidden", "a\nb", "a b", std::string(129, 'x')}) {
      CAPTURE(id);
      std::string json = "{\"id\":\"";
      for (char c : id) {
        if (c == '\n')
          json += "\\n";
        else
          json += c;
      }
      json += "\"}";
      CHECK_THROWS_AS(parse_state(json), Error);
    }
    CHECK(hookwire::is_valid_container_id(std::string(128, 'x')));
    CHECK(hookwire::is_valid_container_id("web-1_a.b+c,d"));
  }

  TEST_CASE("input over 1 MiB is refused") {
    std::string big = R"({"id":"a","annotations":{"k":")" + std::string(hookwire::kMaxStateBytes, 'x') + "\"}}";
    CHECK_THROWS_WITH_AS(parse_state(big), "state: larger than 1 MiB", Error);
  }

  TEST_CASE("read_state reads to EOF from a pipe and caps the input") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::string json = R"({"id":"piped","pid":0})";
    REQUIRE(write(fds[1], json.data(), json.size()) == static_cast<ssize_t>(json.size()));
    close(fds[1]);
    auto state = hookwire::read_state(fds[0]);
    close(fds[0]);
    CHECK(state.id == "piped");
    CHECK(state.raw == json);
  }

  TEST_CASE("nesting deeper than the bound is refused without recursion") {
    std::string deep = R"({"id":"a","annotations":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK_THROWS_WITH_AS(parse_state(deep), "state: nested deeper than 32 levels", Error);
  }

  TEST_CASE("short_id keeps short ids and cuts long ones") {
    CHECK(hookwire::short_id("t1") == "t1");
    CHECK(hookwire::short_id(std::string(64, 'f')) == std::string(12, 'f') + "\u2026");
  }

}  // TEST_SUITE
