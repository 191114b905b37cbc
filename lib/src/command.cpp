// Command::run: the State on the hook's stdin, its output captured, its exit judged
// the way runc 1.1 judges it (libcontainer/configs CommandHook).
#include <hookwire/command.h>

#include <hookwire/error.h>

#include "command_spawn.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hookwire {

namespace {

using Clock = std::chrono::steady_clock;

/// Go's name for a signal, as ProcessState.String() prints it after "signal: ".
std::string go_signal_name(int sig) {
  static constexpr std::array<const char*, 32> kNames = {nullptr,
                                                         "hangup",
                                                         "interrupt",
                                                         "quit",
                                                         "illegal instruction",
                                                         "trace/breakpoint trap",
                                                         "aborted",
                                                         "bus error",
                                                         "floating point exception",
                                                         "killed",
                                                         "user defined signal 1",
                                                         "segmentation fault",
                                                         "user defined signal 2",
                                                         "broken pipe",
                                                         "alarm clock",
                                                         "terminated",
                                                         "stack fault",
                                                         "child exited",
                                                         "continued",
                                                         "stopped (signal)",
                                                         "stopped",
                                                         "stopped (tty input)",
                                                         "stopped (tty output)",
                                                         "urgent I/O condition",
                                                         "CPU time limit exceeded",
                                                         "file size limit exceeded",
                                                         "virtual timer expired",
                                                         "profiling timer expired",
                                                         "window changed",
                                                         "I/O possible",
                                                         "power failure",
                                                         "bad system call"};
  if (sig > 0 && sig < static_cast<int>(kNames.size())) return kNames[static_cast<std::size_t>(sig)];
  return "signal " + std::to_string(sig);
}

/// Go's ProcessState.String(): "exit status 3", "signal: killed".
std::string go_exit_text(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  std::string text = "signal: " + go_signal_name(WTERMSIG(status));
  if (WCOREDUMP(status)) text += " (core dumped)";
  return text;
}

/// runc puts captured output in its message raw; hookwire's errors are one line, and
/// a NUL would cut what() short.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\0')
      out += "\\0";
    else
      out += c;
  }
  return out;
}

/// The State as runc marshals specs.State, for a State that was built, not parsed.
std::string marshal_state(const State& state) {
  nlohmann::ordered_json json;
  json["ociVersion"] = state.oci_version;
  json["id"] = state.id;
  json["status"] = state.status;
  if (state.pid) json["pid"] = *state.pid;
  json["bundle"] = state.bundle;
  if (!state.annotations.empty()) json["annotations"] = state.annotations;
  return json.dump();
}

/// Output kept up to Command::kMaxCapture; the rest is read and dropped so the hook
/// never blocks on a full pipe.
struct Capture {
  UniqueFd fd;
  std::string text;

  /// One read. Closes the fd at EOF or on error; false when nothing was there.
  bool read_some() {
    char buffer[16384];
    ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return errno == EINTR;
    if (n <= 0) {
      fd.reset();
      return false;
    }
    std::size_t room = Command::kMaxCapture - text.size();
    text.append(buffer, std::min(room, static_cast<std::size_t>(n)));
    return true;
  }

  /// What the pipe holds now. Bounded, because a grandchild may keep writing.
  void drain() {
    constexpr int kMaxReads = (1 << 20) / 16384;  // pipe-max-size, the most a pipe can hold
    for (int i = 0; fd && i < kMaxReads && read_some(); ++i) {
    }
  }
};

/// Blocks SIGPIPE in this thread while we write to a hook that may not read, and
/// swallows the one our write raised: the process-wide disposition stays the caller's.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_);
    // One that was already pending is the caller's; SIGPIPE does not queue, so ours
    // merges into it and must be left alone.
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  /// After EPIPE: takes back the SIGPIPE our write raised (none if it is ignored).
  void consume() {
    if (was_pending_) return;
    timespec zero{};
    while (sigtimedwait(&sigpipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t sigpipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

/// The hook's process: killed with its group and reaped unless it was waited for.
class HookProcess {
 public:
  explicit HookProcess(pid_t pid) : pid_(pid) {}
  ~HookProcess() {
    if (!reaped_) kill_group();
  }
  HookProcess(const HookProcess&) = delete;
  HookProcess& operator=(const HookProcess&) = delete;

  /// Reaps the hook if it has exited; its wait status then.
  std::optional<int> try_reap() {
    int status = 0;
    pid_t got;
    while ((got = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (got < 0) throw_errno("wait for hook " + std::to_string(pid_));
    if (got == 0) return std::nullopt;
    reaped_ = true;
    return status;
  }

  /// SIGKILL to the whole group, then reaps the hook itself. Grandchildren that
  /// escaped the group are not waited for.
  void kill_group() {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
};

UniqueFd open_pidfd(pid_t pid) {
  // Without pidfd (Linux < 5.3) the loop polls waitpid every few milliseconds.
  return UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
}

int poll_timeout_ms(std::optional<Clock::time_point> deadline, bool have_pidfd) {
  int ms = have_pidfd ? -1 : 10;
  if (deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    left = std::max<decltype(left)>(left, 0);
    if (ms < 0 || left < ms) ms = static_cast<int>(std::min<decltype(left)>(left, 1 << 30));
  }
  return ms;
}

std::string timeout_text(std::chrono::nanoseconds timeout) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.1fs", std::chrono::duration<double>(timeout).count());
  return std::string("hook ran past specified timeout of ") + buffer;
}

}  // namespace

void Command::run(const State& state) const {
  std::string marshalled;
  std::string_view unwritten = state.raw;
  if (unwritten.empty()) unwritten = marshalled = marshal_state(state);

  auto spawned = command_impl::spawn_hook(*this);
  HookProcess process(spawned.pid);
  // Like runc, the clock starts once the hook has started. runc 1.1 arms its timer on
  // any non-nil timeout; a zero one means "none" here.
  std::optional<Clock::time_point> deadline;
  if (timeout && timeout->count() != 0) deadline = Clock::now() + *timeout;
  UniqueFd pidfd = open_pidfd(spawned.pid);
  UniqueFd stdin_sink = std::move(spawned.stdin_sink);
  Capture out{std::move(spawned.stdout_source), {}};
  Capture err{std::move(spawned.stderr_source), {}};
  if (unwritten.empty()) stdin_sink.reset();
  SigpipeBlock sigpipe_block;

  std::optional<int> status;
  while (!status) {
    std::array<pollfd, 4> fds{{{stdin_sink.get(), POLLOUT, 0},
                               {out.fd.get(), POLLIN, 0},
                               {err.fd.get(), POLLIN, 0},
                               {pidfd.get(), POLLIN, 0}}};
    int ready = poll(fds.data(), fds.size(), poll_timeout_ms(deadline, bool(pidfd)));
    if (ready < 0 && errno != EINTR) throw_errno("poll hook pipes");
    if (ready < 0) continue;

    // Exit first: a hook that finished as its time ran out did finish.
    if (!pidfd || fds[3].revents) status = process.try_reap();
    if (status) break;
    if (deadline && Clock::now() >= *deadline) {
      process.kill_group();
      throw Error::failed(timeout_text(*timeout));
    }
    if (fds[0].revents) {
      ssize_t n = write(stdin_sink.get(), unwritten.data(), std::min<std::size_t>(unwritten.size(), 1 << 16));
      int write_errno = n < 0 ? errno : 0;
      if (n > 0) unwritten.remove_prefix(static_cast<std::size_t>(n));
      if (write_errno == EPIPE) sigpipe_block.consume();
      // EPIPE is fine: a hook need not read its stdin. Other errors end the input too.
      if (unwritten.empty() || (n < 0 && write_errno != EAGAIN && write_errno != EINTR)) stdin_sink.reset();
    }
    if (fds[1].revents) out.read_some();
    if (fds[2].revents) err.read_some();
  }

  // The hook wrote all it will before exiting; a grandchild holding the pipes open
  // must not keep us waiting for EOF.
  out.drain();
  err.drain();
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return;
  throw Error::failed("error running hook: " + go_exit_text(*status) + ", stdout: " + one_line(out.text) +
                      ", stderr: " + one_line(err.text));
}

}  // namespace hookwire
