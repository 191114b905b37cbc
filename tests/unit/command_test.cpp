#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/hooks.h>
#include <hookwire/state.h>

#include "test_util.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using hookwire::Command;
using hookwire::Error;
using hookwire::State;
using hookwire::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path path_in(const TempDir& dir, const std::string& name) {
  return fs::path(dir.path()) / name;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A real runc State whose raw bytes are at least `size` long (padded in an annotation).
State state_of_size(std::size_t size) {
  std::string json = R"({"ociVersion":"1.0.2-dev","id":"c1","status":"creating","pid":4242,"bundle":"/b",)"
                     R"("annotations":{"pad":")";
  json.append(size > json.size() ? size - json.size() : 0, 'x');
  json += "\"}}\n";
  return hookwire::parse_state(json);
}

Command program(std::string path, std::vector<std::string> args = {}) {
  Command command;
  command.path = std::move(path);
  command.args = std::move(args);
  return command;
}

/// A hook run through /bin/sh: only the *hook program* is a shell here.
Command sh(const std::string& script) {
  return program("/bin/sh", {"sh", "-c", script});
}

/// What run() threw, or "" when it succeeded.
std::string failure_of(const Command& command, const State& state) {
  try {
    command.run(state);
  } catch (const Error& e) {
    CHECK(e.exit_code() == 1);
    return e.what();
  }
  return {};
}

/// stdout of a hook that failed on purpose, cut out of runc's message.
std::string stdout_of(const std::string& message) {
  auto begin = message.find(", stdout: ");
  auto end = message.rfind(", stderr: ");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  begin += 10;
  return message.substr(begin, end - begin);
}

/// The `\n`-escaped lines of captured text.
std::vector<std::string> lines_of(const std::string& escaped) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t at; (at = escaped.find("\\n", start)) != std::string::npos; start = at + 2)
    lines.push_back(escaped.substr(start, at - start));
  if (start < escaped.size()) lines.push_back(escaped.substr(start));
  return lines;
}

/// Whether `pid` is dead: gone, or a zombie its new parent has yet to reap.
bool is_dead(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z';
}

bool dies_within(pid_t pid, std::chrono::milliseconds bound) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (!is_dead(pid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

pid_t read_pid(const fs::path& path) {
  pid_t pid = 0;
  std::istringstream(slurp(path)) >> pid;
  return pid;
}

}  // namespace

TEST_SUITE("command") {
  TEST_CASE("a failing hook is reported like runc, with its stdout and stderr") {
    auto state = state_of_size(0);

    SUBCASE("exit status, output with newlines escaped onto one line") {
      CHECK_THROWS_WITH_AS(sh("echo out; echo err >&2; exit 3").run(state),
                           "error running hook: exit status 3, stdout: out\\n, stderr: err\\n", Error);
    }
    SUBCASE("no output") {
      CHECK_THROWS_WITH_AS(sh("exit 1").run(state), "error running hook: exit status 1, stdout: , stderr: ", Error);
    }
    SUBCASE("exit 0 is success") {
      CHECK_NOTHROW(sh("echo chatty; echo noisy >&2; exit 0").run(state));
    }
    SUBCASE("output past the capture bound is dropped, without blocking the hook") {
      auto flood = sh("head -c 300000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero >&2; exit 1");
      auto message = failure_of(flood, state);
      CHECK(stdout_of(message) == std::string(Command::kMaxCapture, 'a'));
      // NULs are escaped: raw, they would cut the message short.
      std::string nuls;
      for (std::size_t i = 0; i < Command::kMaxCapture; ++i) nuls += "\\0";
      CHECK(message.substr(message.rfind(", stderr: ") + 10) == nuls);
    }
  }

  TEST_CASE("a hook killed by a signal is reported with Go's signal name") {
    auto state = state_of_size(0);
    SUBCASE("killed") {
      CHECK_THROWS_WITH_AS(sh("echo dying; kill -KILL $$").run(state),
                           "error running hook: signal: killed, stdout: dying\\n, stderr: ", Error);
    }
    SUBCASE("terminated") {
      CHECK(failure_of(sh("kill -TERM $$"), state) == "error running hook: signal: terminated, stdout: , stderr: ");
    }
    SUBCASE("segmentation fault, without a core") {
      CHECK(failure_of(sh("ulimit -c 0; kill -SEGV $$"), state) ==
            "error running hook: signal: segmentation fault, stdout: , stderr: ");
    }
    SUBCASE("aborted") {
      CHECK(failure_of(sh("ulimit -c 0; kill -ABRT $$"), state) ==
            "error running hook: signal: aborted, stdout: , stderr: ");
    }
  }

  TEST_CASE("a hook that cannot start is reported like Go's fork/exec error") {
    auto state = state_of_size(0);
    TempDir dir;

    SUBCASE("missing program") {
      CHECK_THROWS_WITH_AS(program("/no/such").run(state), "fork/exec /no/such: no such file or directory", Error);
    }
    SUBCASE("program without the execute bit") {
      auto script = path_in(dir, "not-executable");
      std::ofstream(script) << "#!/bin/sh\nexit 0\n";
      CHECK(failure_of(program(script.string()), state) == "fork/exec " + script.string() + ": permission denied");
    }
    SUBCASE("missing working directory: the hook must not run anywhere else") {
      auto marker = path_in(dir, "ran");
      auto command = sh("touch " + marker.string());
      command.dir = path_in(dir, "no-such-dir").string();
      CHECK(failure_of(command, state) == "fork/exec /bin/sh: no such file or directory");
      CHECK_FALSE(fs::exists(marker));
    }
    SUBCASE("empty path") {
      CHECK(failure_of(Command(), state) == "exec: no command");
    }
    // The child that failed to exec is reaped, not left as a zombie.
    errno = 0;
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
  }

  TEST_CASE("a hook past its timeout is killed with its whole process group") {
    auto state = state_of_size(0);
    TempDir dir;
    using std::chrono::steady_clock;

    SUBCASE("even when a grandchild holds stdout open") {
      auto grandchild_file = path_in(dir, "grandchild");
      auto command = sh("sleep 30 & echo $! > " + grandchild_file.string() + "; sleep 30");
      command.timeout = std::chrono::seconds(1);
      auto start = steady_clock::now();
      CHECK_THROWS_WITH_AS(command.run(state), "hook ran past specified timeout of 1.0s", Error);
      auto elapsed = steady_clock::now() - start;
      auto overshoot = std::chrono::duration<double, std::milli>(elapsed - *command.timeout).count();
      MESSAGE("timeout overshoot: " << overshoot << " ms");
      CHECK(elapsed >= *command.timeout);
      CHECK(elapsed < *command.timeout + std::chrono::seconds(2));

      pid_t grandchild = read_pid(grandchild_file);
      REQUIRE(grandchild > 0);
      CHECK(dies_within(grandchild, std::chrono::seconds(2)));
    }
    SUBCASE("the timeout is printed in seconds with one decimal") {
      auto command = sh("sleep 30");
      command.timeout = std::chrono::milliseconds(250);
      CHECK(failure_of(command, state) == "hook ran past specified timeout of 0.2s");
      command.timeout = std::chrono::milliseconds(1500);
      CHECK(failure_of(command, state) == "hook ran past specified timeout of 1.5s");
    }
    SUBCASE("a zero timeout means none") {
      auto command = sh("sleep 0.2");
      command.timeout = std::chrono::nanoseconds(0);
      CHECK_NOTHROW(command.run(state));
    }
    SUBCASE("a hook that finishes in time is not killed") {
      auto command = sh("sleep 0.1; exit 0");
      command.timeout = std::chrono::seconds(5);
      CHECK_NOTHROW(command.run(state));
    }
  }

  TEST_CASE("a hook's exit is not held up by a grandchild that keeps its pipes") {
    auto state = state_of_size(0);
    TempDir dir;
    auto grandchild_file = path_in(dir, "grandchild");
    auto spawn_sleeper = "sleep 30 & echo $! > " + grandchild_file.string() + "; echo out; ";

    auto start = std::chrono::steady_clock::now();
    SUBCASE("success") {
      CHECK_NOTHROW(sh(spawn_sleeper + "exit 0").run(state));
    }
    SUBCASE("failure still carries what the hook wrote") {
      CHECK(failure_of(sh(spawn_sleeper + "exit 4"), state) ==
            "error running hook: exit status 4, stdout: out\\n, stderr: ");
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    pid_t grandchild = read_pid(grandchild_file);
    REQUIRE(grandchild > 0);
    // Left running on purpose (a hook may start a daemon); the test cleans up.
    CHECK_FALSE(is_dead(grandchild));
    kill(grandchild, SIGKILL);
  }

  TEST_CASE("the State reaches the hook's stdin byte for byte") {
    TempDir dir;
    auto received = path_in(dir, "stdin");
    auto command = sh("cat > " + received.string());

    SUBCASE("small, with the runtime's trailing newline") {
      auto state = state_of_size(0);
      command.run(state);
      CHECK(slurp(received) == state.raw);
    }
    SUBCASE("larger than a pipe buffer") {
      auto state = state_of_size(200 * 1024);
      command.run(state);
      CHECK(slurp(received).size() == state.raw.size());
      CHECK(slurp(received) == state.raw);
    }
    SUBCASE("close to the 1 MiB limit") {
      auto state = state_of_size(hookwire::kMaxStateBytes - 16);
      command.run(state);
      CHECK(slurp(received) == state.raw);
    }
    SUBCASE("a State that was built, not parsed, is marshalled like runc's") {
      State state;
      state.oci_version = "1.0.2";
      state.id = "c1";
      state.status = "creating";
      state.pid = 42;
      state.bundle = "/b";
      state.annotations = {{"a", "b"}};
      command.run(state);
      CHECK(slurp(received) == R"({"ociVersion":"1.0.2","id":"c1","status":"creating","pid":42,"bundle":"/b",)"
                               R"("annotations":{"a":"b"}})");
    }
  }

  TEST_CASE("a hook that does not read its stdin does not hurt the caller") {
    auto state = state_of_size(900 * 1024);
    struct sigaction before {};
    sigaction(SIGPIPE, nullptr, &before);

    SUBCASE("it exits at once") {
      CHECK_NOTHROW(program("/bin/true").run(state));
    }
    SUBCASE("it closes stdin and lives on: our write fails with EPIPE") {
      CHECK_NOTHROW(sh("exec 0<&-; sleep 0.3").run(state));
    }
    SUBCASE("it fails: its own error is what is reported") {
      CHECK(failure_of(sh("exec 0<&-; exit 2"), state) == "error running hook: exit status 2, stdout: , stderr: ");
    }

    // Still alive, and SIGPIPE as we found it: not pending, not blocked, same handler.
    sigset_t pending, mask;
    sigpending(&pending);
    CHECK_FALSE(sigismember(&pending, SIGPIPE));
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    CHECK_FALSE(sigismember(&mask, SIGPIPE));
    struct sigaction after {};
    sigaction(SIGPIPE, nullptr, &after);
    bool same_handler = after.sa_handler == before.sa_handler;
    CHECK(same_handler);
  }

  TEST_CASE("env, dir and argv are the hook's, exactly") {
    auto state = state_of_size(0);
    TempDir dir;

    SUBCASE("env replaces the whole environment") {
      auto command = sh("/usr/bin/env; exit 1");
      command.env = {"A=1", "B=two"};
      std::set<std::string> seen;
      for (const auto& line : lines_of(stdout_of(failure_of(command, state))))
        if (line.rfind("PWD=", 0) != 0) seen.insert(line);  // dash exports PWD itself
      CHECK(seen == std::set<std::string>{"A=1", "B=two"});
    }
    SUBCASE("an empty env inherits ours") {
      REQUIRE(setenv("HOOKWIRE_COMMAND_TEST", "inherited", 1) == 0);
      auto output = stdout_of(failure_of(sh("/usr/bin/env; exit 1"), state));
      unsetenv("HOOKWIRE_COMMAND_TEST");
      auto lines = lines_of(output);
      CHECK(std::count(lines.begin(), lines.end(), "HOOKWIRE_COMMAND_TEST=inherited") == 1);
    }
    SUBCASE("dir is the working directory") {
      auto command = sh("/bin/pwd; exit 1");
      command.dir = dir.path();
      CHECK(stdout_of(failure_of(command, state)) == fs::canonical(dir.path()).string() + "\\n");
    }
    SUBCASE("an empty dir inherits ours") {
      CHECK(stdout_of(failure_of(sh("/bin/pwd; exit 1"), state)) == fs::current_path().string() + "\\n");
    }
    SUBCASE("argv[0] is args[0], not the path: busybox picks its applet by it") {
      REQUIRE(fs::exists("/bin/busybox"));
      auto command = program("/bin/busybox", {"sh", "-c", "echo $0; exit 1"});
      CHECK(failure_of(command, state) == "error running hook: exit status 1, stdout: sh\\n, stderr: ");
    }
    SUBCASE("argv[0] can be any name") {
      auto command = program("/bin/sh", {"my-hook", "-c", "echo $0; exit 1"});
      CHECK(stdout_of(failure_of(command, state)) == "my-hook\\n");
    }
    SUBCASE("empty args run the path alone, and no shell is put in between") {
      // sh without arguments runs its stdin: here the State is a script.
      State script;
      script.raw = "echo \"$0 $#\"; exit 1\n";
      CHECK(stdout_of(failure_of(program("/bin/sh"), script)) == "/bin/sh 0\\n");
    }
  }

  TEST_CASE("run leaves no fd and no child behind, whatever the outcome") {
    auto state = state_of_size(100 * 1024);
    auto count_fds = [] { return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()); };
    auto before = count_fds();
    auto slow = sh("sleep 30");
    slow.timeout = std::chrono::milliseconds(100);

    CHECK_NOTHROW(program("/bin/true").run(state));
    CHECK_FALSE(failure_of(sh("exit 1"), state).empty());
    CHECK_FALSE(failure_of(program("/no/such"), state).empty());
    CHECK_FALSE(failure_of(slow, state).empty());

    CHECK(count_fds() == before);
    errno = 0;
    CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
  }

  TEST_CASE("the hook gets only fds 0, 1 and 2, in a process group of its own, with no signal blocked") {
    auto state = state_of_size(0);
    // An fd we leak on purpose: no O_CLOEXEC.
    int leaked = open("/dev/null", O_RDONLY);
    REQUIRE(leaked >= 0);
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old);

    SUBCASE("fds") {
      CHECK(stdout_of(failure_of(sh("ls /proc/$$/fd; exit 1"), state)) == "0\\n1\\n2\\n");
    }
    SUBCASE("process group") {
      auto lines = lines_of(stdout_of(failure_of(sh("echo $$; cut -d' ' -f5 /proc/$$/stat; exit 1"), state)));
      REQUIRE(lines.size() == 2);
      CHECK(lines[0] == lines[1]);
      CHECK(lines[0] != std::to_string(getpgrp()));
    }
    SUBCASE("signal mask") {
      // grep itself, not a shell: dash clears its mask at startup. The missing file makes it fail.
      auto command = program("/bin/grep", {"grep", "-h", "^SigBlk:", "/proc/self/status", "/no/such"});
      CHECK(stdout_of(failure_of(command, state)) == "SigBlk:\t0000000000000000\\n");
    }

    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    close(leaked);
  }

}  // TEST_SUITE
