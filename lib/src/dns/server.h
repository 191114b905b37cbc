// The resolver's service: UDP and TCP on port 53 of every gateway address the
// name table serves, answers from the table, the rest forwarded upstream.
#pragma once

#include <utility>  // before Boost.Asio, for GCC 12 in C++20

#include <boost/asio.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "dns/ledger_watch.h"
#include "dns/names.h"
#include "dns/upstream.h"

namespace hookwire::dns {

/// Counters, for the log and the tests.
struct ServerStats {
  std::uint64_t local = 0;      // answered from the table (names, NODATA, NXDOMAIN)
  std::uint64_t forwarded = 0;  // sent upstream
  std::uint64_t refused = 0;    // from outside the pools, or not recursion-desired
  std::uint64_t malformed = 0;  // FORMERR/NOTIMP, or dropped
};

class Server {
 public:
  /// `port` is 53 but for tests. `on_empty` is called when the table has become
  /// empty (the last container with names was unwired).
  Server(boost::asio::io_context& io, LedgerWatch& watch, NameTable& table, Upstreams& upstreams, Forwarder& forwarder,
         std::uint16_t port, std::function<void()> on_empty);
  ~Server();

  /// Opens sockets on the table's gateway addresses and closes the others.
  void reconcile();
  /// The ledger changed: new or gone networks, and perhaps no names left.
  void ledger_changed();
  /// Answers one query that arrived on `server` from `client` (the daemon's
  /// sockets and the fuzzer both call it). `reply` gets the bytes to send back,
  /// now or later (a forwarded query); it is not called when nothing is to be sent.
  void handle(std::span<const std::uint8_t> query, const IpAddress& server, const IpAddress& client, bool tcp,
              std::function<void(std::vector<std::uint8_t>)> reply);

  const ServerStats& stats() const { return stats_; }

  struct Endpoint;  // the sockets of one address (server.cpp)

 private:
  void watch_ledger();

  boost::asio::io_context& io_;
  LedgerWatch& watch_;
  NameTable& table_;
  Upstreams& upstreams_;
  Forwarder& forwarder_;
  boost::asio::steady_timer retry_;
  std::uint16_t port_;
  std::function<void()> on_empty_;
  boost::asio::posix::stream_descriptor inotify_;
  std::map<IpAddress, std::shared_ptr<Endpoint>> endpoints_;
  std::vector<std::uint8_t> scratch_;
  ServerStats stats_;
};

}  // namespace hookwire::dns
