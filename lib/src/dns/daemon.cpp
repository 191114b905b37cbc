#include "dns/daemon.h"

#include <hookwire/error.h>

#include "dns/server.h"
#include "fs_util.h"
#include "resolver_launch.h"
#include "unique_fd.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

namespace hookwire::dns {

namespace asio = boost::asio;

namespace {

// The first descriptor a service manager passes (sd_listen_fds(3)).
constexpr int kListenFdsStart = 3;

// The control socket a service manager handed over (hookwire-dns.socket), or -1:
// LISTEN_PID must name this process.
int socket_from_service_manager() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::atoi(pid) != getpid() || std::atoi(fds) < 1) return -1;
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  fcntl(kListenFdsStart, F_SETFD, FD_CLOEXEC);
  return kListenFdsStart;
}

struct LocalUser {
  std::string name;
  uid_t uid;
  gid_t gid;
};

std::optional<LocalUser> local_user(const std::string& name) {
  FILE* file = std::fopen("/etc/passwd", "re");
  if (!file) return std::nullopt;
  std::optional<LocalUser> found;
  while (const passwd* entry = fgetpwent(file))
    if (name == entry->pw_name) {
      found = LocalUser{entry->pw_name, entry->pw_uid, entry->pw_gid};
      break;
    }
  std::fclose(file);
  return found;
}

// Becomes `name` (or hookwire-dns, else nobody) keeping CAP_NET_BIND_SERVICE
// alone, for the networks that appear later; nothing else, ever again.
void drop_privileges(const std::string& name) {
  if (geteuid() != 0) return;
  // Read from /etc/passwd with fgetpwent(3), not getpwnam(3): the resolver is
  // linked statically, and NSS would load the host's modules (libnss_systemd)
  // into it. The users it becomes are local system users.
  auto user = local_user(name.empty() ? "hookwire-dns" : name);
  if (!user && name.empty()) user = local_user("nobody");
  if (!user) throw Error::input("no such user in /etc/passwd: " + (name.empty() ? "hookwire-dns or nobody" : name));
  uid_t uid = user->uid;
  gid_t gid = user->gid;
  std::string who = user->name;
  // The bounding set first, while CAP_SETPCAP is still held.
  for (int cap = 0; cap <= 63; ++cap)
    if (cap != CAP_NET_BIND_SERVICE && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      throw_errno("drop capability " + std::to_string(cap));
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("keep capabilities");
  if (setgroups(0, nullptr) != 0) throw_errno("drop supplementary groups");
  if (setresgid(gid, gid, gid) != 0) throw_errno("become group " + std::to_string(gid));
  if (setresuid(uid, uid, uid) != 0) throw_errno("become user " + who);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
  if (syscall(SYS_capset, &header, data) != 0) throw_errno("keep CAP_NET_BIND_SERVICE");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("set no_new_privs");
  syslog(LOG_INFO, "running as %s with CAP_NET_BIND_SERVICE only", who.c_str());
}

// The lock on STATE_DIR/dns.pid: the one resolver of the state dir holds it.
class PidLock {
 public:
  PidLock(const std::string& state_dir, int inherited) {
    if (inherited >= 0) {
      fd_ = UniqueFd(inherited);
      fcntl(inherited, F_SETFD, FD_CLOEXEC);
    } else {
      auto path = resolver_pid_file(state_dir);
      fd_ = UniqueFd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
      if (!fd_) throw_errno("open " + path);
    }
    held_ = flock(fd_.get(), LOCK_EX | LOCK_NB) == 0;
  }
  bool held() const { return held_; }
  void write_pid() {
    auto text = std::to_string(getpid()) + "\n";
    if (ftruncate(fd_.get(), 0) != 0 || pwrite(fd_.get(), text.data(), text.size(), 0) < 0)
      syslog(LOG_WARNING, "cannot write the pid file: %s", std::strerror(errno));
  }
  void release() {
    flock(fd_.get(), LOCK_UN);
    held_ = false;
  }
  bool retake() { return held_ = flock(fd_.get(), LOCK_EX | LOCK_NB) == 0; }
  // An empty pid file: no resolver runs (the file itself stays, like the other locks).
  void clear() {
    if (held_ && ftruncate(fd_.get(), 0) != 0)
      syslog(LOG_WARNING, "cannot empty the pid file: %s", std::strerror(errno));
  }

 private:
  UniqueFd fd_;
  bool held_ = false;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  openlog("hookwire-dns", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  // The hook that started it waits until this closes: serving, or gone.
  UniqueFd ready(options.ready_fd);
  int control = socket_from_service_manager();
  if (!check_state_dir(options.state_dir, false)) {
    syslog(LOG_INFO, "no state dir %s: nothing to serve", options.state_dir.c_str());
    return 0;
  }
  PidLock lock(options.state_dir, options.lock_fd);
  if (!lock.held()) {
    syslog(LOG_INFO, "another resolver serves %s", options.state_dir.c_str());
    return 0;
  }
  LedgerWatch watch(options.state_dir);
  NameTable table;
  watch.rescan(table);
  if (table.empty()) {
    syslog(LOG_INFO, "no container with names in %s: nothing to serve", options.state_dir.c_str());
    return 0;
  }
  lock.write_pid();

  asio::io_context io(1);
  Upstreams upstreams(options.resolv_conf);
  Forwarder forwarder(io, upstreams);
  // The last container with names is gone: the lock goes first, then the ledger
  // is read once more, so that a hook that wired one meanwhile either finds the
  // lock free (and starts a resolver) or is seen here (and this one stays).
  auto on_empty = [&] {
    lock.clear();
    lock.release();
    watch.drain(table);
    if (!table.empty() && lock.retake()) {
      lock.write_pid();
      return;
    }
    io.stop();
  };
  Server server(io, watch, table, upstreams, forwarder, options.port, on_empty);
  drop_privileges(options.user);
  // Serving: one byte says so (the end of the pipe alone means it gave up).
  if (ready && write(ready.get(), "r", 1) != 1) syslog(LOG_WARNING, "cannot tell the hook it serves");
  ready.reset();

  asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) io.stop();
  });
  asio::signal_set reload(io, SIGHUP);
  std::function<void()> on_reload = [&] {
    reload.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      watch.rescan(table);
      server.ledger_changed();
      on_reload();
    });
  };
  on_reload();
  // A datagram on the control socket only asks that the resolver run: it does.
  std::optional<asio::local::datagram_protocol::socket> control_socket;
  std::array<char, 64> scratch;
  std::function<void()> on_control = [&] {
    control_socket->async_receive(asio::buffer(scratch), [&](const boost::system::error_code& ec, std::size_t) {
      if (!ec) on_control();
    });
  };
  if (control >= 0) {
    control_socket.emplace(io, asio::local::datagram_protocol(), control);
    on_control();
  }
  syslog(LOG_INFO, "serving %zu names of %zu containers from %s", table.names(), table.containers(),
         options.state_dir.c_str());
  io.run();
  const auto& stats = server.stats();
  syslog(LOG_INFO, "exiting: %llu answered, %llu forwarded, %llu refused, %llu malformed",
         static_cast<unsigned long long>(stats.local), static_cast<unsigned long long>(stats.forwarded),
         static_cast<unsigned long long>(stats.refused), static_cast<unsigned long long>(stats.malformed));
  lock.clear();
  return 0;
}

}  // namespace hookwire::dns
