#include "resolver_launch.h"

#include "build_config.h"
#include "unique_fd.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <fcntl.h>
#include <poll.h>
#include <csignal>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char** environ;

namespace hookwire {

namespace {

// The resolver gets the lock as this descriptor (hookwire-dns --lock-fd), and
// says it serves by closing this one (--ready-fd).
constexpr int kLockFd = 3;
constexpr int kReadyFd = 4;
// How long the hook that starts the resolver waits for it to serve: its start
// takes a few milliseconds; a resolver that takes longer is not waited for.
constexpr int kReadyTimeoutMs = 1000;

// hookwire-dns sits beside the hooks, installed (libexecdir) as in the build
// tree (hooks/); `hookwire hook STAGE` runs from elsewhere (bin/, cli/).
std::string resolver_program() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string();
  dir = dir.substr(0, dir.rfind('/') + 1);
  for (const auto& candidate :
       {dir + "hookwire-dns", std::string(HOOKWIRE_LIBEXECDIR) + "/hookwire-dns", dir + "../hooks/hookwire-dns"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  return dir + "hookwire-dns";
}

// True when something listens on the control socket and took the datagram.
bool poke_service_manager(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size());
  UniqueFd sock(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) return false;
  static constexpr char kMessage[] = "ensure";
  return sendto(sock.get(), kMessage, sizeof kMessage - 1, 0, reinterpret_cast<const sockaddr*>(&address),
                sizeof address) >= 0;
}

// Starts hookwire-dns with `lock` as its descriptor 3 and `ready` as 4; returns
// its pid, or 0 with errno.
pid_t spawn_resolver(const std::string& program, const std::string& state_dir, int lock, int ready) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // Its own session, and none of the hook's descriptors: a runtime reading the
  // hook's stdout and stderr until they close must not wait for the resolver.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, lock, kLockFd);
  posix_spawn_file_actions_adddup2(&actions, ready, kReadyFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kReadyFd + 1);
  std::string lock_fd = std::to_string(kLockFd), ready_fd = std::to_string(kReadyFd);
  const char* argv[] = {program.c_str(), "--state-dir", state_dir.c_str(), "--lock-fd",
                        lock_fd.c_str(), "--ready-fd",  ready_fd.c_str(),  nullptr};
  pid_t pid = 0;
  int err = posix_spawn(&pid, program.c_str(), &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    errno = err;
    return 0;
  }
  return pid;
}

}  // namespace

std::string resolver_pid_file(const std::string& state_dir) {
  return state_dir + "/dns.pid";
}
std::string resolver_control_socket(const std::string& state_dir) {
  return state_dir + "/dns.sock";
}

bool resolver_running(const std::string& state_dir) {
  // Read, not locked: a lock taken here, even shared, would make a hook that
  // tries the lock at that moment believe a resolver runs.
  UniqueFd fd(open(resolver_pid_file(state_dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return false;
  char text[32] = {};
  if (read(fd.get(), text, sizeof text - 1) <= 0) return false;
  long pid = std::strtol(text, nullptr, 10);
  if (pid <= 0) return false;
  UniqueFd comm(open(("/proc/" + std::to_string(pid) + "/comm").c_str(), O_RDONLY | O_CLOEXEC));
  char name[32] = {};
  return comm && read(comm.get(), name, sizeof name - 1) > 0 && std::string_view(name) == "hookwire-dns\n";
}

void ensure_resolver(const std::string& state_dir, Logger& log) {
  auto pid_file = resolver_pid_file(state_dir);
  UniqueFd lock(open(pid_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!lock) {
    log.warning("cannot open " + pid_file + ": " + std::strerror(errno) + "; names are not served");
    return;
  }
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      log.warning("cannot lock " + pid_file + ": " + std::strerror(errno) + "; names are not served");
    return;  // the resolver holds it: it runs, and it reads the ledger itself
  }
  if (poke_service_manager(resolver_control_socket(state_dir))) {
    log.debug("asked the service manager for the resolver");
    return;  // the lock goes with `lock`; the service takes it
  }
  auto program = resolver_program();
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    log.warning(std::string("cannot start the resolver: pipe: ") + std::strerror(errno) + "; names are not served");
    return;
  }
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  pid_t pid = spawn_resolver(program, state_dir, lock.get(), ready_write.get());
  if (pid == 0) {
    log.warning("cannot start the resolver " + program + ": " + std::strerror(errno) + "; names are not served");
    return;
  }
  // Not waited for as a process: it is a daemon; the runtime's subreaper (or
  // init) reaps it. Waited for, briefly, until it serves (it closes its end of
  // the pipe once its sockets are bound), so that the first container's names
  // resolve as soon as this hook returns, like every later one's.
  ready_write.reset();
  pollfd wait{ready_read.get(), POLLIN, 0};
  int n;
  do {
    n = poll(&wait, 1, kReadyTimeoutMs);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    log.warning("started the resolver hookwire-dns (pid " + std::to_string(pid) + "), not serving after " +
                std::to_string(kReadyTimeoutMs) + " ms; not waiting longer");
    return;
  }
  // One byte when it serves; the end of the pipe alone when it exited first.
  char byte = 0;
  if (read(ready_read.get(), &byte, 1) != 1) {
    log.warning("the resolver hookwire-dns (pid " + std::to_string(pid) +
                ") exited before it served (its reason is in syslog); names are not served");
    return;
  }
  log.info("started the resolver hookwire-dns (pid " + std::to_string(pid) + ")");
}

}  // namespace hookwire
