#include "command_spawn.h"

#include <hookwire/error.h>

#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hookwire::command_impl {

namespace {

namespace bp = boost::process;

/// Go's text for an errno, as os/exec prints it: strerror lowercased ("no such file
/// or directory"), acronyms kept ("RPC ...").
std::string go_errno_text(int err) {
  std::string text = std::strerror(err);
  if (text.size() > 1 && !std::isupper(static_cast<unsigned char>(text[1])))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

/// The child-side setup that Boost.Process's own initializers get wrong for a hook.
class HookSetup : public bp::extend::handler {
 public:
  explicit HookSetup(const Command& command) : path_(command.path), dir_(command.dir) {
    // exe_cmd_init always makes argv[0] the path; busybox-style programs need args[0].
    args_ = command.args.empty() ? std::vector<std::string>{command.path} : command.args;
    for (auto& arg : args_) argv_.push_back(arg.data());
    argv_.push_back(nullptr);
    env_ = command.env;
    for (auto& entry : env_) envp_.push_back(entry.data());
    envp_.push_back(nullptr);
    // Computed here because the child may only make async-signal-safe calls.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      max_fd_ = static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
  }

  // Runs after Boost's exe_cmd_init (builders come first in the executor's sequence).
  template <typename Executor>
  void on_setup(Executor& exec) {
    exec.exe = path_.c_str();
    exec.cmd_line = argv_.data();
    if (!env_.empty()) exec.env = envp_.data();
  }

  // In the forked child: async-signal-safe calls only.
  template <typename Executor>
  void on_exec_setup(Executor& exec) {
    // Its own group, so that a timeout can kill the hook's whole tree.
    if (setpgid(0, 0) != 0) fail(exec, "setpgid");
    // Boost's start_dir ignores a failing chdir(2) and would run the hook elsewhere.
    if (!dir_.empty() && chdir(dir_.c_str()) != 0) fail(exec, "chdir");
    // A hook starts with signals as a fresh program would, like a child of Go.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, nullptr);
    // Only the stdio pipes may reach the hook: an inherited copy of some other pipe's
    // write end would keep its reader from ever seeing EOF. Marking instead of
    // closing keeps Boost's exec-error pipe working until execve.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
      for (int fd = 3; fd < max_fd_; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }

  template <typename Executor>
  void on_success(Executor& exec) {
    pid_ = exec.pid;
  }

  // exec failures leave a child that Boost never reaps: remember it so we do.
  template <typename Executor>
  void on_error(Executor& exec, const std::error_code&) {
    pid_ = exec.pid;
  }

  pid_t pid() const { return pid_; }

 private:
  template <typename Executor>
  [[noreturn]] static void fail(Executor& exec, const char* what) {
    exec.set_error(std::error_code(errno, std::system_category()), what);
    _exit(127);
  }

  std::string path_;
  std::string dir_;
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::vector<std::string> env_;
  std::vector<char*> envp_;
  int max_fd_ = 65536;
  pid_t pid_ = -1;
};

/// A close-on-exec fd numbered 3 or above: if the caller runs with 0, 1 or 2 closed,
/// a pipe end there would be clobbered by the child's dup2 onto its stdio.
UniqueFd above_stdio(int fd) {
  UniqueFd owned(fd);
  if (fd > STDERR_FILENO) return owned;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) throw_errno("fcntl F_DUPFD_CLOEXEC for a hook pipe");
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd source;
  UniqueFd sink;
};

Pipe make_pipe() {
  // O_CLOEXEC from the start: Boost's pipe() leaves a window in which another
  // thread's child could inherit these.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2 for a hook");
  UniqueFd source(fds[0]);
  UniqueFd sink(fds[1]);
  return {above_stdio(source.release()), above_stdio(sink.release())};
}

void set_nonblocking(const UniqueFd& fd) {
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK on a hook pipe");
}

}  // namespace

SpawnedHook spawn_hook(const Command& command) {
  // Go's exec.Cmd.Start refuses an empty Path with this text.
  if (command.path.empty()) throw Error::failed("exec: no command");

  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  // Only our ends: each end of a pipe is its own open file description.
  set_nonblocking(in.sink);
  set_nonblocking(out.source);
  set_nonblocking(err.source);
  // Boost's handlers take the child's ends and close them in the parent after the
  // fork; the bp::pipe objects keep ours.
  bp::pipe in_pipe(in.source.release(), in.sink.release());
  bp::pipe out_pipe(out.source.release(), out.sink.release());
  bp::pipe err_pipe(err.source.release(), err.sink.release());

  HookSetup setup(command);
  std::error_code error;
  bp::child child(bp::exe(command.path), bp::std_in<in_pipe, bp::std_out> out_pipe, bp::std_err > err_pipe, setup,
                  error);
  // We wait for the hook ourselves; an attached bp::child would kill it on destruction.
  child.detach();

  if (error) {
    if (setup.pid() > 0) {
      int status = 0;
      while (waitpid(setup.pid(), &status, 0) < 0 && errno == EINTR) {
      }
    }
    throw Error::failed("fork/exec " + command.path + ": " + go_errno_text(error.value()));
  }

  SpawnedHook hook;
  hook.pid = setup.pid();
  hook.stdin_sink = UniqueFd(in_pipe.native_sink());
  in_pipe.assign_sink(-1);
  hook.stdout_source = UniqueFd(out_pipe.native_source());
  out_pipe.assign_source(-1);
  hook.stderr_source = UniqueFd(err_pipe.native_source());
  err_pipe.assign_source(-1);
  return hook;
}

}  // namespace hookwire::command_impl
