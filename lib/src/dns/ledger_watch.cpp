#include "dns/ledger_watch.h"

#include <hookwire/error.h>
#include <hookwire/state.h>

#include "fs_util.h"
#include "ledger_record.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

namespace hookwire::dns {

namespace {

// A record's file name, "ID.json", gives its id; temp files (".tmp.*") and
// anything else give none.
std::string id_of(std::string_view name) {
  if (name.size() <= kLedgerRecordSuffix.size() || !name.ends_with(kLedgerRecordSuffix)) return {};
  auto id = name.substr(0, name.size() - kLedgerRecordSuffix.size());
  return is_valid_container_id(id) ? std::string(id) : std::string();
}

}  // namespace

LedgerWatch::LedgerWatch(const std::string& state_dir) : dir_path_(state_dir + "/ledger") {
  make_dirs(dir_path_, kLedgerDirMode);
  dir_ = UniqueFd(open(dir_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!dir_) throw_errno("open " + dir_path_);
  // A ledger made before the resolver existed is 0700: searchable it must be.
  struct stat st;
  if (fstat(dir_.get(), &st) == 0 && (st.st_mode & 07777) != kLedgerDirMode && st.st_uid == geteuid())
    fchmod(dir_.get(), kLedgerDirMode);
  inotify_ = UniqueFd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_) throw_errno("inotify_init1");
  // Records are renamed into place and unlinked (write_file_atomic, Ledger::remove).
  if (inotify_add_watch(inotify_.get(), dir_path_.c_str(), IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0)
    throw_errno("watch " + dir_path_);
}

bool LedgerWatch::drain(NameTable& table) {
  alignas(inotify_event) char buffer[16384];
  std::set<std::string> changed;
  bool overflow = false;
  for (;;) {
    ssize_t n = read(inotify_.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: nothing more is queued
    }
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) overflow = true;
      if (event->len == 0) continue;
      auto id = id_of(event->name);
      if (!id.empty()) changed.insert(std::move(id));
    }
  }
  if (overflow) {
    rescan(table);
    return true;
  }
  for (const auto& id : changed) load(table, id);
  return !changed.empty();
}

void LedgerWatch::rescan(NameTable& table) {
  table.clear();
  // A duplicate of the descriptor: readdir works on what was opened before the
  // privileges were dropped.
  int copy = fcntl(dir_.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw_errno("dup " + dir_path_);
  DIR* dir = fdopendir(copy);
  if (!dir) {
    close(copy);
    throw_errno("read " + dir_path_);
  }
  rewinddir(dir);
  std::vector<std::string> ids;
  while (const dirent* item = readdir(dir)) {
    auto id = id_of(item->d_name);
    if (!id.empty()) ids.push_back(std::move(id));
  }
  closedir(dir);
  for (const auto& id : ids) load(table, id);
}

void LedgerWatch::load(NameTable& table, const std::string& id) {
  std::string name = id + std::string(kLedgerRecordSuffix);
  UniqueFd fd(openat(dir_.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno != ENOENT && errno != ELOOP)
      syslog(LOG_WARNING, "cannot read ledger record %s: %s; its names are not served", name.c_str(),
             std::strerror(errno));
    table.remove(id);
    return;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxLedgerRecordBytes) {
    table.remove(id);
    return;
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  try {
    auto entry = parse_ledger_record(text, "ledger record " + name);
    if (entry.id != id) {
      table.remove(id);
      return;
    }
    table.set(entry);
  } catch (const Error& e) {
    syslog(LOG_WARNING, "%s; its names are not served", e.what());
    table.remove(id);
  }
}

}  // namespace hookwire::dns
