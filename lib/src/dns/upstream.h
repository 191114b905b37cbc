// The resolver's way out: the host's upstream resolvers (Upstreams, from
// resolv.conf) and the forwarding of raw queries to them (Forwarder). The
// forwarder knows DNS messages only as bytes, a 12-byte header and the span of
// the one question; it never parses answers.
#pragma once

// GCC 12 in C++20 mode: Boost.Asio 1.74 uses std::exchange without including it.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace hookwire::dns {

/// The host's upstream resolvers, the "nameserver" lines of a resolv.conf, re-read
/// whenever the file changes; the resolver's own addresses left out.
class Upstreams {
 public:
  /// At most this many servers are used, in the file's order.
  static constexpr std::size_t max_servers = 8;

  explicit Upstreams(std::string path = "/etc/resolv.conf");

  /// The servers to ask, in order (port 53 is implied). One stat() per call; the
  /// file is parsed again only when its device, inode, size or mtime changed. A
  /// missing or unreadable file, or one without nameserver lines, gives none.
  const std::vector<boost::asio::ip::address>& servers();
  /// Leaves `own` (the resolver's listening addresses) out of servers() from now
  /// on, so that it never forwards to itself; replaces any earlier list.
  void exclude(std::vector<boost::asio::ip::address> own);

  const std::string& path() const { return path_; }

 private:
  /// What identifies one version of the file.
  struct Stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    std::timespec mtime;
    bool operator==(const Stamp& other) const;
  };
  void reload();
  void select();

  std::string path_;
  bool loaded_ = false;
  std::optional<Stamp> stamp_;                      // nullopt: no file
  std::vector<boost::asio::ip::address> listed_;    // every nameserver of the file
  std::vector<boost::asio::ip::address> excluded_;  // the resolver's own addresses
  std::vector<boost::asio::ip::address> servers_;   // listed_ minus excluded_, capped
};

/// Forwards raw queries to the upstreams, one at a time down the list: UDP from a
/// fresh socket (random source port) with a random query id, TCP when the answer
/// is truncated, the next server on a timeout, a network error, SERVFAIL or
/// REFUSED, and SERVFAIL after the last. Single-threaded: every call and every
/// callback on the io_context's thread.
class Forwarder {
 public:
  Forwarder(boost::asio::io_context& io, Upstreams& upstreams,
            std::chrono::milliseconds per_server_timeout = std::chrono::milliseconds(1500),
            std::size_t max_in_flight = 256);
  /// Abandons the queries in flight: their `done` is never called.
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Forwards `query` (a validated query with one question, no compression) and
  /// calls `done` exactly once, later, from the io_context, with the reply for
  /// the client: the upstream's answer under the client's id; header and
  /// question with TC=1 when that answer is longer than `max_size` (the client's
  /// UDP size, or 65535 over TCP); SERVFAIL when no server answered usefully or
  /// `max_in_flight` queries are already in flight (at once, then); FORMERR when
  /// the question cannot be walked; nothing (empty) for fewer than 12 bytes.
  void forward(std::span<const std::uint8_t> query, std::size_t max_size,
               std::function<void(std::vector<std::uint8_t>)> done);

  /// The queries forwarded and not yet answered.
  std::size_t in_flight() const;

 private:
  struct Shared;
  class Query;

  boost::asio::io_context& io_;
  Upstreams& upstreams_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace hookwire::dns
