#include "dns/server.h"

#include "dns/message.h"

#include <netinet/in.h>
#include <syslog.h>

namespace hookwire::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

// One TCP client may keep its connection this long without a query (RFC 7766
// asks for seconds, not minutes), and no more than this many at once per address.
constexpr auto kTcpIdle = std::chrono::seconds(10);
constexpr std::size_t kMaxTcpSessions = 128;
constexpr std::size_t kMaxUdpMessage = 65535;
// Datagrams taken per wake-up before the loop serves anything else.
constexpr int kBatch = 64;

asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.family() == Family::v4) {
    asio::ip::address_v4::bytes_type bytes;
    std::copy(ip.data(), ip.data() + 4, bytes.begin());
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes;
  std::copy(ip.data(), ip.data() + 16, bytes.begin());
  return asio::ip::address_v6(bytes);
}

IpAddress from_asio(const asio::ip::address& address) {
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    return IpAddress::from_bytes(Family::v4, bytes.data());
  }
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    auto bytes = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
    return IpAddress::from_bytes(Family::v4, bytes.data());
  }
  auto bytes = v6.to_bytes();
  return IpAddress::from_bytes(Family::v6, bytes.data());
}

// Bound before the bridge carries the address (it may not yet, or no more):
// IP_FREEBIND, so that the resolver never depends on the order of events.
template <typename Socket>
void prepare(Socket& socket, const IpAddress& address) {
  int one = 1;
  if (address.family() == Family::v4) {
    setsockopt(socket.native_handle(), SOL_IP, IP_FREEBIND, &one, sizeof one);
  } else {
    socket.set_option(asio::ip::v6_only(true));
    setsockopt(socket.native_handle(), SOL_IPV6, IPV6_FREEBIND, &one, sizeof one);
  }
}

}  // namespace

// The sockets of one gateway address.
struct Server::Endpoint : std::enable_shared_from_this<Server::Endpoint> {
  Endpoint(Server& server, const IpAddress& address)
      : owner(server), address(address), datagrams(server.io_), listener(server.io_) {}
  Server& owner;
  IpAddress address;
  udp::socket datagrams;
  tcp::acceptor listener;
  std::size_t sessions = 0;
  bool closed = false;
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kMaxUdpMessage);

  void open(std::uint16_t port) {
    udp::endpoint where(to_asio(address), port);
    datagrams.open(where.protocol());
    prepare(datagrams, address);
    datagrams.bind(where);
    datagrams.non_blocking(true);
    tcp::endpoint listen(to_asio(address), port);
    listener.open(listen.protocol());
    prepare(listener, address);
    listener.set_option(asio::socket_base::reuse_address(true));
    listener.bind(listen);
    listener.listen(64);
  }

  void close() {
    closed = true;
    boost::system::error_code ignored;
    datagrams.close(ignored);
    listener.close(ignored);
  }

  void receive() {
    datagrams.async_wait(udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed) return;
      self->read_datagrams();
      self->receive();
    });
  }

  void read_datagrams() {
    for (int i = 0; i < kBatch && !closed; ++i) {
      udp::endpoint client;
      boost::system::error_code ec;
      std::size_t n = datagrams.receive_from(asio::buffer(buffer), client, 0, ec);
      if (ec) return;  // would_block: all read
      std::weak_ptr<Endpoint> weak = shared_from_this();
      owner.handle(std::span(buffer.data(), n), address, from_asio(client.address()), false,
                   [weak, client](std::vector<std::uint8_t> reply) {
                     auto self = weak.lock();
                     if (!self || self->closed) return;
                     boost::system::error_code ignored;
                     self->datagrams.send_to(asio::buffer(reply), client, 0, ignored);
                   });
    }
  }

  void accept();
};

// One TCP client: length-prefixed queries, one after the other (RFC 7766).
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(std::shared_ptr<Server::Endpoint> endpoint, tcp::socket socket)
      : endpoint_(std::move(endpoint)), socket_(std::move(socket)), timer_(socket_.get_executor()) {}
  ~TcpSession() { --endpoint_->sessions; }

  void start() { read_length(); }

 private:
  void arm_timer() {
    timer_.expires_after(kTcpIdle);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->stop();
    });
  }
  void stop() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }
  void read_length() {
    arm_timer();
    asio::async_read(socket_, asio::buffer(length_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (ec || self->endpoint_->closed) return self->stop();
                       std::size_t size = (std::size_t{self->length_[0]} << 8) | self->length_[1];
                       if (size == 0) return self->stop();
                       self->message_.resize(size);
                       self->read_message();
                     });
  }
  void read_message() {
    asio::async_read(
        socket_, asio::buffer(message_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec || self->endpoint_->closed) return self->stop();
          boost::system::error_code peer_ec;
          auto peer = self->socket_.remote_endpoint(peer_ec);
          if (peer_ec) return self->stop();
          // The reply holds the session: a forwarded question is answered later,
          // with no read or write pending meanwhile. A question dropped
          // unanswered releases it, and the connection closes.
          self->endpoint_->owner.handle(self->message_, self->endpoint_->address, from_asio(peer.address()), true,
                                        [self](std::vector<std::uint8_t> reply) { self->write(std::move(reply)); });
        });
  }
  void write(std::vector<std::uint8_t> reply) {
    if (reply.empty() || reply.size() > 65535) return stop();
    out_.resize(reply.size() + 2);
    out_[0] = static_cast<std::uint8_t>(reply.size() >> 8);
    out_[1] = static_cast<std::uint8_t>(reply.size());
    std::copy(reply.begin(), reply.end(), out_.begin() + 2);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (ec) return self->stop();
                        self->read_length();
                      });
  }

  std::shared_ptr<Server::Endpoint> endpoint_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::uint8_t length_[2] = {};
  std::vector<std::uint8_t> message_;
  std::vector<std::uint8_t> out_;
};

void Server::Endpoint::accept() {
  listener.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
    if (self->closed) return;
    if (!ec) {
      if (self->sessions >= kMaxTcpSessions) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        ++self->sessions;
        std::make_shared<TcpSession>(self, std::move(socket))->start();
      }
    }
    self->accept();
  });
}

Server::Server(asio::io_context& io, LedgerWatch& watch, NameTable& table, Upstreams& upstreams, Forwarder& forwarder,
               std::uint16_t port, std::function<void()> on_empty)
    : io_(io),
      watch_(watch),
      table_(table),
      upstreams_(upstreams),
      forwarder_(forwarder),
      retry_(io),
      port_(port),
      on_empty_(std::move(on_empty)),
      inotify_(io, dup(watch.fd())) {
  reconcile();
  watch_ledger();
}

Server::~Server() {
  for (auto& [address, endpoint] : endpoints_) endpoint->close();
}

void Server::watch_ledger() {
  inotify_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;
    if (watch_.drain(table_)) ledger_changed();
    watch_ledger();
  });
}

void Server::ledger_changed() {
  reconcile();
  if (table_.empty() && on_empty_) on_empty_();
}

void Server::reconcile() {
  auto wanted = table_.servers();
  std::vector<asio::ip::address> own;
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    if (std::find(wanted.begin(), wanted.end(), it->first) == wanted.end()) {
      it->second->close();
      it = endpoints_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& address : wanted) {
    own.push_back(to_asio(address));
    if (endpoints_.count(address)) continue;
    auto endpoint = std::make_shared<Endpoint>(*this, address);
    try {
      endpoint->open(port_);
    } catch (const boost::system::system_error& e) {
      // Another server on that address (a second resolver on its way out): the
      // next change of the ledger tries again.
      syslog(LOG_WARNING, "cannot serve on %s port %u: %s", address.str().c_str(), port_, e.what());
      endpoint->close();
      continue;
    }
    endpoint->receive();
    endpoint->accept();
    endpoints_.emplace(address, endpoint);
    syslog(LOG_INFO, "serving names on %s port %u", address.str().c_str(), port_);
  }
  upstreams_.exclude(own);
  // An address still held by a resolver on its way out is tried again shortly.
  if (endpoints_.size() < wanted.size()) {
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) reconcile();
    });
  }
}

void Server::handle(std::span<const std::uint8_t> query, const IpAddress& server, const IpAddress& client, bool tcp,
                    std::function<void(std::vector<std::uint8_t>)> reply) {
  auto parsed = parse_query(query);
  if (parsed.verdict == Verdict::drop) {
    ++stats_.malformed;
    return;
  }
  if (parsed.verdict == Verdict::error) {
    ++stats_.malformed;
    auto response = error_response(query, parsed.rcode);
    if (!response.empty()) reply(std::move(response));
    return;
  }
  const auto& q = parsed.query;
  std::size_t max_size = tcp ? 65535 : q.udp_size;
  auto respond = [&](int rcode, const std::vector<Record>& answers) {
    try {
      build_response(q, rcode, rcode != kRefused && rcode != kNotImp, answers, max_size, scratch_);
    } catch (const std::exception& e) {
      // A record that cannot be written (a name edited into the ledger by hand)
      // fails this answer, never the resolver.
      syslog(LOG_WARNING, "cannot answer for %s: %s", q.question.name.c_str(), e.what());
      auto failed = error_response(query, kServFail);
      if (!failed.empty()) reply(std::move(failed));
      return;
    }
    reply(scratch_);
  };
  // Whatever was renamed into the ledger before this query was sent is known now.
  if (watch_.drain(table_)) ledger_changed();
  const std::string* network = table_.network_at(server);
  if (!network || !table_.is_client(*network, client)) {
    ++stats_.refused;
    return respond(kRefused, {});
  }
  if (q.question.type == kTypeAny || q.question.klass != kClassIn) {
    ++stats_.malformed;
    return respond(kNotImp, {});
  }
  auto found = table_.lookup(*network, q.question.name, q.question.type);
  if (found.kind == Lookup::Kind::forward) {
    if (!q.rd) {
      ++stats_.refused;
      return respond(kRefused, {});
    }
    ++stats_.forwarded;
    forwarder_.forward(query, max_size, std::move(reply));
    return;
  }
  ++stats_.local;
  std::vector<Record> answers;
  for (const auto& address : found.addresses)
    answers.push_back({q.question.type,
                       q.question.name,
                       std::vector<std::uint8_t>(address.data(), address.data() + address.size()),
                       {},
                       0});
  for (const auto& target : found.targets) answers.push_back({kTypePtr, q.question.name, {}, target, 0});
  respond(found.kind == Lookup::Kind::nxdomain ? kNxDomain : kNoError, answers);
}

}  // namespace hookwire::dns
