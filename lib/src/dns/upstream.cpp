#include "dns/upstream.h"

#include <hookwire/error.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace hookwire::dns {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::tcp;
using asio::ip::udp;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint16_t dns_port = 53;
constexpr std::size_t header_size = 12;
constexpr std::uint8_t rcode_formerr = 1;
constexpr std::uint8_t rcode_servfail = 2;
constexpr std::uint8_t rcode_refused = 5;

std::uint16_t get16(std::span<const std::uint8_t> wire, std::size_t at) {
  return static_cast<std::uint16_t>(wire[at] << 8 | wire[at + 1]);
}

void put16(Bytes& wire, std::size_t at, std::uint16_t value) {
  wire[at] = static_cast<std::uint8_t>(value >> 8);
  wire[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

bool truncated(std::span<const std::uint8_t> wire) {
  return (wire[2] & 0x02) != 0;
}

std::uint8_t rcode(std::span<const std::uint8_t> wire) {
  return wire[3] & 0x0f;
}

/// Where the one question of `wire` ends (the offset after QTYPE and QCLASS), or
/// nullopt when QDCOUNT is not 1, the name uses compression, is too long or runs
/// past the message.
std::optional<std::size_t> question_end(std::span<const std::uint8_t> wire) {
  if (wire.size() < header_size || get16(wire, 4) != 1) return std::nullopt;
  std::size_t at = header_size;
  std::size_t name_length = 0;
  while (true) {
    if (at >= wire.size()) return std::nullopt;
    std::uint8_t label = wire[at];
    if (label == 0) break;
    if (label & 0xc0) return std::nullopt;  // a pointer (or the reserved 0x40/0x80 forms)
    name_length += label + 1u;
    if (name_length > 254) return std::nullopt;  // 255 with the root's byte
    at += label + 1u;
  }
  at += 1 + 4;
  if (at > wire.size()) return std::nullopt;
  return at;
}

/// Whether `answer` asks the question of `query` (ending at `query_end`): the
/// name ASCII-case-insensitively (label lengths are below 'A', so a bytewise
/// compare of lowercased bytes is exact), type and class exactly.
bool same_question(std::span<const std::uint8_t> query, std::size_t query_end, std::span<const std::uint8_t> answer) {
  std::optional<std::size_t> answer_end = question_end(answer);
  if (!answer_end || *answer_end != query_end) return false;
  auto lower = [](std::uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + 32) : c; };
  std::size_t name_end = query_end - 4;
  for (std::size_t i = header_size; i < name_end; ++i)
    if (lower(query[i]) != lower(answer[i])) return false;
  return std::equal(query.begin() + name_end, query.begin() + query_end, answer.begin() + name_end);
}

/// A reply carrying only the header and question of `message` (up to
/// `question_end`; header alone when 0): QR and RA set, one question (or none),
/// no records, and `rcode`. Opcode, id and RD are kept; AA, AD and CD cleared;
/// TC as `tc` says.
Bytes header_reply(std::span<const std::uint8_t> message, std::size_t question_end, std::uint8_t rcode, bool tc) {
  std::size_t size = question_end ? question_end : header_size;
  Bytes reply(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(size));
  reply[2] = static_cast<std::uint8_t>(0x80 | (message[2] & 0x79) | (tc ? 0x02 : 0));  // QR, opcode, RD, TC
  reply[3] = static_cast<std::uint8_t>(0x80 | (rcode & 0x0f));                         // RA, rcode
  put16(reply, 4, question_end ? 1 : 0);
  put16(reply, 6, 0);
  put16(reply, 8, 0);
  put16(reply, 10, 0);
  return reply;
}

/// Query ids from the kernel's CSPRNG, fetched 256 bytes at a time.
class IdSource {
 public:
  std::uint16_t next() {
    if (used_ + 2 > pool_.size()) refill();
    std::uint16_t id = static_cast<std::uint16_t>(pool_[used_] << 8 | pool_[used_ + 1]);
    used_ += 2;
    return id;
  }

 private:
  void refill() {
    std::size_t got = 0;
    while (got < pool_.size()) {
      ssize_t n = getrandom(pool_.data() + got, pool_.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("getrandom");
      }
      got += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }

  std::array<std::uint8_t, 256> pool_{};
  std::size_t used_ = pool_.size();
};

/// Opens `socket` for `family` close-on-exec and non-blocking (Asio opens without
/// SOCK_CLOEXEC, and the daemon's fds must not reach anything it runs).
template <typename Socket, typename Protocol>
void open_socket(Socket& socket, Protocol protocol, boost::system::error_code& ec) {
  int fd = ::socket(protocol.family(), protocol.type() | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol.protocol());
  if (fd < 0) {
    ec.assign(errno, boost::system::system_category());
    return;
  }
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  socket.non_blocking(true, ec);  // Asio's own flag: its synchronous calls then never wait
}

bool same_host(const address& a, const address& b) {
  if (a.is_v6() && b.is_v6()) return a.to_v6().to_bytes() == b.to_v6().to_bytes();  // any scope
  return a == b;
}

}  // namespace

// ---- Upstreams -------------------------------------------------------------

bool Upstreams::Stamp::operator==(const Stamp& other) const {
  return dev == other.dev && ino == other.ino && size == other.size && mtime.tv_sec == other.mtime.tv_sec &&
         mtime.tv_nsec == other.mtime.tv_nsec;
}

Upstreams::Upstreams(std::string path) : path_(std::move(path)) {}

const std::vector<address>& Upstreams::servers() {
  struct stat st {};
  std::optional<Stamp> now;
  if (::stat(path_.c_str(), &st) == 0) now = Stamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  if (!loaded_ || now != stamp_) {
    stamp_ = now;
    loaded_ = true;
    reload();
  }
  return servers_;
}

void Upstreams::exclude(std::vector<address> own) {
  excluded_ = std::move(own);
  select();
}

void Upstreams::reload() {
  listed_.clear();
  std::ifstream in(path_);
  std::string line;
  while (stamp_ && std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, value;
    if (!(words >> keyword >> value) || keyword != "nameserver") continue;  // comments start with # or ;
    boost::system::error_code ec;
    address server = asio::ip::make_address(value, ec);
    if (ec) continue;
    // A link-local IPv6 address is usable only with its interface ("%eth0").
    if (server.is_v6() && server.to_v6().is_link_local() && server.to_v6().scope_id() == 0) continue;
    if (std::find(listed_.begin(), listed_.end(), server) == listed_.end()) listed_.push_back(server);
  }
  select();
}

void Upstreams::select() {
  servers_.clear();
  for (const address& server : listed_) {
    if (servers_.size() == max_servers) break;
    bool own = std::any_of(excluded_.begin(), excluded_.end(), [&](const address& a) { return same_host(a, server); });
    if (!own) servers_.push_back(server);
  }
}

// ---- Forwarder -------------------------------------------------------------

struct Forwarder::Shared {
  std::chrono::milliseconds timeout;
  std::size_t max_in_flight;
  IdSource ids;
  std::unordered_set<Query*> in_flight;  // to abandon them when the Forwarder goes
};

/// One forwarded query, alive while its handlers are pending. Every asynchronous
/// step carries the attempt it belongs to; a step of an earlier attempt (its
/// socket closed, its timer re-armed) does nothing.
class Forwarder::Query : public std::enable_shared_from_this<Forwarder::Query> {
 public:
  Query(asio::io_context& io, std::shared_ptr<Shared> shared, std::span<const std::uint8_t> query,
        std::size_t question_end, std::size_t max_size, std::vector<address> servers, std::function<void(Bytes)> done)
      : shared_(std::move(shared)),
        wire_(query.begin(), query.end()),
        question_end_(question_end),
        max_size_(max_size),
        servers_(std::move(servers)),
        done_(std::move(done)),
        udp_(io),
        tcp_(io),
        timer_(io) {
    client_id_ = get16(wire_, 0);
    put16(wire_, 0, shared_->ids.next());
  }

  void start() { try_server(); }

  /// Stops without answering (the Forwarder is going away).
  void abandon() {
    finished_ = true;
    stop();
  }

 private:
  using Self = std::shared_ptr<Query>;

  bool current(unsigned attempt) const { return !finished_ && attempt == attempt_; }

  /// Closes the sockets and the timer of the attempt under way; its pending
  /// steps then complete as stale.
  void stop() {
    ++attempt_;
    boost::system::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
    timer_.cancel();
  }

  /// Starts a new attempt: its own deadline, per server and per transport.
  unsigned begin_attempt() {
    stop();
    timer_.expires_after(shared_->timeout);
    timer_.async_wait([self = shared_from_this(), attempt = attempt_](const boost::system::error_code& ec) {
      if (!ec && self->current(attempt)) self->next_server();
    });
    return attempt_;
  }

  udp::endpoint server() const { return {servers_[index_], dns_port}; }

  void next_server() {
    ++index_;
    try_server();
  }

  void try_server() {
    if (index_ >= servers_.size()) return finish(header_reply(wire_, question_end_, rcode_servfail, false));
    unsigned attempt = begin_attempt();
    boost::system::error_code ec;
    // A fresh socket, connected: the kernel picks a random source port and drops
    // datagrams from anywhere but the server's address and port.
    open_socket(udp_, server().protocol(), ec);
    if (!ec) udp_.connect(server(), ec);
    if (!ec) udp_.send(asio::buffer(wire_), 0, ec);
    if (ec) return next_server();
    wait_udp(attempt);
  }

  void wait_udp(unsigned attempt) {
    udp_.async_wait(udp::socket::wait_read, [self = shared_from_this(), attempt](const boost::system::error_code& ec) {
      if (self->current(attempt)) self->read_udp(attempt, ec);
    });
  }

  void read_udp(unsigned attempt, boost::system::error_code ec) {
    if (ec) return next_server();
    // FIONREAD on a UDP socket is the size of the next datagram: each answer
    // gets a buffer of its size, not 64 KiB.
    std::size_t size = udp_.available(ec);
    if (ec) return next_server();
    Bytes answer(std::max(size, header_size));
    udp::endpoint from;
    std::size_t n = udp_.receive_from(asio::buffer(answer), from, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_udp(attempt);
    if (ec) return next_server();  // ECONNREFUSED: the server's port is closed
    answer.resize(n);
    if (from != server() || !acceptable(answer)) return wait_udp(attempt);  // spoofed or stale: keep waiting
    if (useless(answer)) return next_server();
    if (truncated(answer)) return try_tcp();
    answer_with(std::move(answer));
  }

  void try_tcp() {
    unsigned attempt = begin_attempt();
    boost::system::error_code ec;
    tcp::endpoint endpoint(servers_[index_], dns_port);
    open_socket(tcp_, endpoint.protocol(), ec);
    if (ec) return next_server();
    tcp_.async_connect(endpoint, [self = shared_from_this(), attempt](const boost::system::error_code& ec) {
      if (!self->current(attempt)) return;
      if (ec) return self->next_server();
      self->write_tcp(attempt);
    });
  }

  void write_tcp(unsigned attempt) {
    length_[0] = static_cast<std::uint8_t>(wire_.size() >> 8);
    length_[1] = static_cast<std::uint8_t>(wire_.size() & 0xff);
    std::array<asio::const_buffer, 2> out{asio::buffer(length_), asio::buffer(wire_)};
    asio::async_write(tcp_, out,
                      [self = shared_from_this(), attempt](const boost::system::error_code& ec, std::size_t) {
                        if (!self->current(attempt)) return;
                        if (ec) return self->next_server();
                        asio::async_read(self->tcp_, asio::buffer(self->length_),
                                         [self, attempt](const boost::system::error_code& ec, std::size_t) {
                                           if (!self->current(attempt)) return;
                                           if (ec) return self->next_server();
                                           self->read_tcp(attempt);
                                         });
                      });
  }

  void read_tcp(unsigned attempt) {
    std::size_t size = static_cast<std::size_t>(length_[0] << 8 | length_[1]);
    if (size < header_size) return next_server();
    tcp_answer_.resize(size);
    asio::async_read(tcp_, asio::buffer(tcp_answer_),
                     [self = shared_from_this(), attempt](const boost::system::error_code& ec, std::size_t) {
                       if (!self->current(attempt)) return;
                       // Over TCP a wrong answer cannot be waited past: the stream is spent.
                       if (ec || !self->acceptable(self->tcp_answer_) || self->useless(self->tcp_answer_))
                         return self->next_server();
                       self->answer_with(std::move(self->tcp_answer_));
                     });
  }

  /// An answer to this query: a response, our id, our question.
  bool acceptable(std::span<const std::uint8_t> answer) const {
    return answer.size() >= header_size && (answer[2] & 0x80) && get16(answer, 0) == get16(wire_, 0) &&
           same_question(wire_, question_end_, answer);
  }

  /// SERVFAIL and REFUSED send the query on to the next server.
  static bool useless(std::span<const std::uint8_t> answer) {
    return rcode(answer) == rcode_servfail || rcode(answer) == rcode_refused;
  }

  void answer_with(Bytes answer) {
    put16(answer, 0, client_id_);
    if (answer.size() > max_size_) {
      // Header and question, TC=1, the upstream's rcode and flags: the client asks again over TCP.
      Bytes reply(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(question_end_));
      reply[2] |= 0x02;
      put16(reply, 6, 0);
      put16(reply, 8, 0);
      put16(reply, 10, 0);
      return finish(std::move(reply));
    }
    finish(std::move(answer));
  }

  void finish(Bytes reply) {
    if (finished_) return;
    finished_ = true;
    stop();
    shared_->in_flight.erase(this);
    if (reply.size() >= 2) put16(reply, 0, client_id_);
    // Posted, never called from inside forward() (all servers can fail at once).
    asio::post(timer_.get_executor(),
               [done = std::move(done_), reply = std::move(reply)]() mutable { done(std::move(reply)); });
  }

  std::shared_ptr<Shared> shared_;
  Bytes wire_;  // the query as sent upstream, under its upstream id
  std::size_t question_end_;
  std::size_t max_size_;
  std::vector<address> servers_;
  std::function<void(Bytes)> done_;
  std::uint16_t client_id_ = 0;
  std::size_t index_ = 0;
  unsigned attempt_ = 0;
  bool finished_ = false;
  udp::socket udp_;
  tcp::socket tcp_;
  asio::steady_timer timer_;
  std::array<std::uint8_t, 2> length_{};
  Bytes tcp_answer_;
};

Forwarder::Forwarder(asio::io_context& io, Upstreams& upstreams, std::chrono::milliseconds per_server_timeout,
                     std::size_t max_in_flight)
    : io_(io), upstreams_(upstreams), shared_(std::make_shared<Shared>()) {
  shared_->timeout = per_server_timeout;
  shared_->max_in_flight = max_in_flight;
}

Forwarder::~Forwarder() {
  for (Query* query : std::exchange(shared_->in_flight, {})) query->abandon();
}

std::size_t Forwarder::in_flight() const {
  return shared_->in_flight.size();
}

void Forwarder::forward(std::span<const std::uint8_t> query, std::size_t max_size,
                        std::function<void(std::vector<std::uint8_t>)> done) {
  auto reply_soon = [&](Bytes reply) {
    asio::post(io_, [done = std::move(done), reply = std::move(reply)]() mutable { done(std::move(reply)); });
  };
  if (query.size() < header_size) return reply_soon({});
  std::optional<std::size_t> end = question_end(query);
  if (!end) return reply_soon(header_reply(query, 0, rcode_formerr, false));
  const std::vector<address>& servers = upstreams_.servers();
  if (servers.empty() || shared_->in_flight.size() >= shared_->max_in_flight)
    return reply_soon(header_reply(query, *end, rcode_servfail, false));
  auto forwarded = std::make_shared<Query>(io_, shared_, query, *end, max_size, servers, std::move(done));
  shared_->in_flight.insert(forwarded.get());
  forwarded->start();
}

}  // namespace hookwire::dns
