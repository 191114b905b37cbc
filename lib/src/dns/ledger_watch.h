// How the resolver follows the ledger: inotify on STATE_DIR/ledger, read before
// every answer from the network's names, so that a record renamed into place
// before a hook returned is known to the first query sent after it. No polling.
#pragma once

#include <string>

#include "dns/names.h"
#include "unique_fd.h"

namespace hookwire::dns {

class LedgerWatch {
 public:
  /// Opens (creating it) STATE_DIR/ledger and watches it. Called as root, before
  /// the resolver drops its privileges: both descriptors stay usable after.
  explicit LedgerWatch(const std::string& state_dir);

  /// The inotify descriptor (non-blocking), for the event loop.
  int fd() const { return inotify_.get(); }

  /// Applies the changes queued since the last call to `table`; true when any
  /// record changed. Cheap when nothing did: one read(2) that finds nothing.
  bool drain(NameTable& table);
  /// Reads every record again (at start, and when the kernel's queue overflowed).
  void rescan(NameTable& table);

 private:
  void load(NameTable& table, const std::string& id);

  std::string dir_path_;
  UniqueFd dir_;
  UniqueFd inotify_;
};

}  // namespace hookwire::dns
