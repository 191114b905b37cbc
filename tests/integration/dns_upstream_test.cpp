// Upstreams and Forwarder over real sockets: stub upstream resolvers on
// 127.0.0.x:53 and [::1]:53 inside a throwaway netns, a temporary resolv.conf,
// and the forwarder's io_context run on the test thread.
#include <doctest/doctest.h>

#include <hookwire/namespaces.h>

// GCC 12 in C++20 mode: Boost.Asio 1.74 uses std::exchange without including it.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/upstream.h"
#include "lab.h"
#include "unique_fd.h"

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using hookwire::UniqueFd;
using hookwire::dns::Forwarder;
using hookwire::dns::Upstreams;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint16_t type_a = 1;
constexpr std::uint16_t type_aaaa = 28;
constexpr std::uint8_t servfail = 2;
constexpr std::uint8_t refused = 5;

// ---- DNS messages, by hand ---------------------------------------------------

std::uint16_t get16(const Bytes& wire, std::size_t at) {
  return static_cast<std::uint16_t>(wire.at(at) << 8 | wire.at(at + 1));
}

void put16(Bytes& wire, std::size_t at, std::uint16_t value) {
  wire.at(at) = static_cast<std::uint8_t>(value >> 8);
  wire.at(at + 1) = static_cast<std::uint8_t>(value & 0xff);
}

void append16(Bytes& wire, std::uint16_t value) {
  wire.push_back(static_cast<std::uint8_t>(value >> 8));
  wire.push_back(static_cast<std::uint8_t>(value & 0xff));
}

/// A query with RD set: `name` ("web.example") of `qtype`, class IN.
Bytes make_query(std::uint16_t id, const std::string& name, std::uint16_t qtype = type_a) {
  Bytes wire(12, 0);
  put16(wire, 0, id);
  wire[2] = 0x01;  // RD
  put16(wire, 4, 1);
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = std::min(name.find('.', start), name.size());
    wire.push_back(static_cast<std::uint8_t>(dot - start));
    wire.insert(wire.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  wire.push_back(0);
  append16(wire, qtype);
  append16(wire, 1);
  return wire;
}

/// The offset after the question of `wire` (uncompressed names only).
std::size_t question_end(const Bytes& wire) {
  std::size_t at = 12;
  while (wire.at(at) != 0) at += wire.at(at) + 1u;
  return at + 1 + 4;
}

/// An answer to `query`: its id and question, QR and RA set, `rcode`, and one A
/// record per address of `addresses` (each "a.b.c.d"), the owner a pointer to the question.
Bytes make_answer(const Bytes& query, std::uint8_t rcode, const std::vector<std::string>& addresses = {},
                  bool tc = false) {
  Bytes wire(query.begin(), query.begin() + static_cast<std::ptrdiff_t>(question_end(query)));
  wire[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x01) | (tc ? 0x02 : 0));
  wire[3] = static_cast<std::uint8_t>(0x80 | rcode);
  put16(wire, 6, static_cast<std::uint16_t>(addresses.size()));
  put16(wire, 8, 0);
  put16(wire, 10, 0);
  for (const std::string& address : addresses) {
    append16(wire, 0xc00c);
    append16(wire, type_a);
    append16(wire, 1);
    append16(wire, 0);
    append16(wire, 60);
    append16(wire, 4);
    std::array<std::uint8_t, 4> bytes{};
    REQUIRE(inet_pton(AF_INET, address.c_str(), bytes.data()) == 1);
    wire.insert(wire.end(), bytes.begin(), bytes.end());
  }
  return wire;
}

/// A-record addresses of `count` distinct hosts in 10.0.0.0/8.
std::vector<std::string> many_addresses(int count) {
  std::vector<std::string> addresses;
  for (int i = 0; i < count; ++i)
    addresses.push_back("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  return addresses;
}

std::uint8_t rcode_of(const Bytes& wire) {
  return wire.at(3) & 0x0f;
}
bool tc_of(const Bytes& wire) {
  return (wire.at(2) & 0x02) != 0;
}
std::uint16_t ancount_of(const Bytes& wire) {
  return get16(wire, 6);
}

/// The address of the first A record of `wire` ("" when it has none).
std::string first_a(const Bytes& wire) {
  if (ancount_of(wire) == 0) return "";
  std::size_t rdata = question_end(wire) + 2 + 2 + 2 + 4 + 2;
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, wire.data() + rdata, text, sizeof text);
  return text;
}

// ---- The stub upstreams ------------------------------------------------------

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  std::uint16_t port() const {
    return ntohs(family() == AF_INET ? reinterpret_cast<const sockaddr_in*>(&storage)->sin_port
                                     : reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
};

SockAddr sockaddr_of(const std::string& ip, std::uint16_t port) {
  SockAddr address;
  if (ip.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    REQUIRE(inet_pton(AF_INET, ip.c_str(), &in->sin_addr) == 1);
    address.length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    REQUIRE(inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr) == 1);
    address.length = sizeof(sockaddr_in6);
  }
  return address;
}

UniqueFd bound_socket(const std::string& ip, std::uint16_t port, int type) {
  SockAddr address = sockaddr_of(ip, port);
  UniqueFd fd(::socket(address.family(), type | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  int one = 1;
  REQUIRE(setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  INFO("bind ", ip, ":", port, ": ", std::strerror(errno));
  REQUIRE(::bind(fd.get(), address.get(), address.length) == 0);
  return fd;
}

/// A query as a stub received it.
struct Received {
  Bytes wire;
  bool tcp = false;
  SockAddr peer;
};

/// What a stub sends back for a query: each of the datagrams in order over UDP,
/// the first one over TCP; nothing at all when empty.
using Behaviour = std::function<std::vector<Bytes>(const Received&)>;

/// A DNS server on IP:53, UDP and TCP, answering from its own thread.
class StubServer {
 public:
  StubServer(const std::string& ip, Behaviour behaviour)
      : behaviour_(std::move(behaviour)),
        udp_(bound_socket(ip, 53, SOCK_DGRAM)),
        tcp_(bound_socket(ip, 53, SOCK_STREAM)),
        stop_(eventfd(0, EFD_CLOEXEC)) {
    REQUIRE(listen(tcp_.get(), 16) == 0);
    REQUIRE(stop_.valid());
    thread_ = std::thread([this] { serve(); });
  }
  ~StubServer() {
    std::uint64_t one = 1;
    if (write(stop_.get(), &one, sizeof one) != sizeof one) std::abort();
    thread_.join();
  }
  StubServer(const StubServer&) = delete;
  StubServer& operator=(const StubServer&) = delete;

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count(bool tcp) const {
    std::size_t n = 0;
    for (const Received& query : received()) n += query.tcp == tcp;
    return n;
  }

 private:
  void serve() {
    std::array<pollfd, 3> fds{{{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}}};
    while (poll(fds.data(), fds.size(), -1) >= 0 || errno == EINTR) {
      if (fds[2].revents) return;
      if (fds[0].revents & POLLIN) serve_udp();
      if (fds[1].revents & POLLIN) serve_tcp();
    }
  }

  void serve_udp() {
    Received query;
    query.wire.resize(65535);
    query.peer.length = sizeof query.peer.storage;
    ssize_t n = recvfrom(udp_.get(), query.wire.data(), query.wire.size(), 0,
                         reinterpret_cast<sockaddr*>(&query.peer.storage), &query.peer.length);
    if (n < 0) return;
    query.wire.resize(static_cast<std::size_t>(n));
    record(query);
    for (const Bytes& reply : behaviour_(query))
      sendto(udp_.get(), reply.data(), reply.size(), 0, query.peer.get(), query.peer.length);
  }

  void serve_tcp() {
    Received query;
    query.tcp = true;
    query.peer.length = sizeof query.peer.storage;
    UniqueFd client(
        accept4(tcp_.get(), reinterpret_cast<sockaddr*>(&query.peer.storage), &query.peer.length, SOCK_CLOEXEC));
    if (!client) return;
    timeval two_seconds{2, 0};
    setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
    std::array<std::uint8_t, 2> length{};
    if (!read_all(client.get(), length.data(), 2)) return;
    query.wire.resize(static_cast<std::size_t>(length[0] << 8 | length[1]));
    if (!read_all(client.get(), query.wire.data(), query.wire.size())) return;
    record(query);
    std::vector<Bytes> replies = behaviour_(query);
    if (replies.empty()) return;
    Bytes framed{static_cast<std::uint8_t>(replies[0].size() >> 8), static_cast<std::uint8_t>(replies[0].size())};
    framed.insert(framed.end(), replies[0].begin(), replies[0].end());
    if (send(client.get(), framed.data(), framed.size(), MSG_NOSIGNAL) < 0) return;
  }

  static bool read_all(int fd, std::uint8_t* data, std::size_t size) {
    while (size > 0) {
      ssize_t n = read(fd, data, size);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  void record(const Received& query) {
    std::lock_guard lock(mutex_);
    received_.push_back(query);
  }

  Behaviour behaviour_;
  UniqueFd udp_;
  UniqueFd tcp_;
  UniqueFd stop_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  std::thread thread_;
};

Behaviour answers(std::vector<std::string> addresses) {
  return [addresses](const Received& query) { return std::vector<Bytes>{make_answer(query.wire, 0, addresses)}; };
}

Behaviour rcode(std::uint8_t code) {
  return [code](const Received& query) { return std::vector<Bytes>{make_answer(query.wire, code)}; };
}

Behaviour silent() {
  return [](const Received&) { return std::vector<Bytes>{}; };
}

// ---- The lab -----------------------------------------------------------------

void loopback_up() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  ifreq request{};
  std::strcpy(request.ifr_name, "lo");
  REQUIRE(ioctl(fd.get(), SIOCGIFFLAGS, &request) == 0);
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  REQUIRE(ioctl(fd.get(), SIOCSIFFLAGS, &request) == 0);
}

std::string make_temp_dir() {
  std::string path = "/tmp/hookwire-dns-upstream-XXXXXX";
  if (!mkdtemp(path.data())) throw std::runtime_error("mkdtemp");
  return path;
}

/// The test thread in a throwaway netns whose lo is up, a directory for the
/// resolv.conf, and an io_context to run the forwarder on.
struct DnsLab {
  lab::ThrowawayNetns ns;
  hookwire::NetnsGuard inside{ns.fd()};
  std::string dir = make_temp_dir();
  std::string resolv_conf = dir + "/resolv.conf";
  boost::asio::io_context io;

  DnsLab() { loopback_up(); }
  ~DnsLab() { std::filesystem::remove_all(dir); }

  /// Replaces the resolv.conf as resolvconf and NetworkManager do: a new file renamed over it.
  void write_resolv_conf(const std::string& text) const {
    std::string next = dir + "/resolv.conf.new";
    std::ofstream(next) << text;
    std::filesystem::rename(next, resolv_conf);
  }

  /// What one forward() gives, and after how long.
  struct Outcome {
    Bytes reply;
    int calls = 0;
    Clock::duration elapsed{};
  };

  /// Forwards `query`, runs the loop until no work is left, and checks that done ran once.
  Outcome forward(Forwarder& forwarder, const Bytes& query, std::size_t max_size = 512) {
    Outcome outcome;
    Clock::time_point start = Clock::now();
    forwarder.forward(query, max_size, [&](Bytes reply) {
      outcome.reply = std::move(reply);
      outcome.elapsed = Clock::now() - start;
      ++outcome.calls;
    });
    io.restart();
    io.run_for(10s);
    CHECK(outcome.calls == 1);
    CHECK(forwarder.in_flight() == 0);
    return outcome;
  }
};

long long ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

TEST_SUITE("dns-upstream") {
  TEST_CASE("resolv.conf: nameserver lines in order, comments and bad addresses skipped, at most 8") {
    DnsLab lab;
    lab.write_resolv_conf(
        "# a comment\n"
        "; nameserver 10.9.9.9\n"
        "search example\n"
        "nameserver 192.0.2.1\n"
        "nameserver 2001:db8::53   # trailing words are ignored\n"
        "\tnameserver 192.0.2.2\n"
        "nameserver not-an-address\n"
        "nameserver fe80::1\n"
        "nameserver fe80::2%lo\n"
        "nameserver 192.0.2.1\n"
        "nameserver\n"
        "options ndots:2\n"
        "nameserver 192.0.2.3\nnameserver 192.0.2.4\nnameserver 192.0.2.5\n"
        "nameserver 192.0.2.6\nnameserver 192.0.2.7\nnameserver 192.0.2.8\n");
    Upstreams upstreams(lab.resolv_conf);
    std::vector<std::string> listed;
    for (const auto& server : upstreams.servers()) listed.push_back(server.to_string());
    CHECK(listed == std::vector<std::string>{"192.0.2.1", "2001:db8::53", "192.0.2.2", "fe80::2%lo", "192.0.2.3",
                                             "192.0.2.4", "192.0.2.5", "192.0.2.6"});

    SUBCASE("an excluded address makes room for the next") {
      upstreams.exclude({make_address("192.0.2.2"), make_address("2001:db8::53")});
      CHECK(upstreams.servers().size() == 8);
      CHECK(upstreams.servers()[1].to_string() == "fe80::2%lo");
      CHECK(upstreams.servers()[7].to_string() == "192.0.2.8");
    }
    SUBCASE("a missing file means no servers, and its return is noticed") {
      std::filesystem::remove(lab.resolv_conf);
      CHECK(upstreams.servers().empty());
      lab.write_resolv_conf("nameserver 192.0.2.77\n");
      REQUIRE(upstreams.servers().size() == 1);
      CHECK(upstreams.servers()[0].to_string() == "192.0.2.77");
    }
    SUBCASE("a file rewritten in place with another size is read again") {
      std::ofstream(lab.resolv_conf, std::ios::trunc) << "nameserver 192.0.2.99\n";
      REQUIRE(upstreams.servers().size() == 1);
      CHECK(upstreams.servers()[0].to_string() == "192.0.2.99");
    }
  }

  TEST_CASE("an A answer is forwarded unchanged under the client's id, from random ids and ports") {
    DnsLab lab;
    StubServer upstream("127.0.0.1", answers({"192.0.2.10"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);

    std::set<std::uint16_t> upstream_ids;
    std::set<std::uint16_t> source_ports;
    for (int i = 0; i < 8; ++i) {
      Bytes query = make_query(0x1234, "web.example");
      auto outcome = lab.forward(forwarder, query);
      REQUIRE(outcome.reply.size() > 12);
      CHECK(get16(outcome.reply, 0) == 0x1234);
      CHECK(rcode_of(outcome.reply) == 0);
      CHECK(first_a(outcome.reply) == "192.0.2.10");
      // Byte for byte what the upstream sent, but for the id.
      Bytes sent = make_answer(query, 0, {"192.0.2.10"});
      CHECK(Bytes(outcome.reply.begin() + 2, outcome.reply.end()) == Bytes(sent.begin() + 2, sent.end()));
    }
    auto received = upstream.received();
    REQUIRE(received.size() == 8);
    Bytes expected = make_query(0, "web.example");
    for (const Received& query : received) {
      upstream_ids.insert(get16(query.wire, 0));
      source_ports.insert(query.peer.port());
      CHECK(Bytes(query.wire.begin() + 2, query.wire.end()) == Bytes(expected.begin() + 2, expected.end()));
    }
    CHECK(upstream_ids.size() > 1);
    CHECK(source_ports.size() > 1);
  }

  TEST_CASE("an IPv6 upstream is asked on [::1]:53") {
    DnsLab lab;
    StubServer upstream("::1", answers({"192.0.2.16"}));
    lab.write_resolv_conf("nameserver ::1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    auto outcome = lab.forward(forwarder, make_query(7, "six.example"));
    CHECK(first_a(outcome.reply) == "192.0.2.16");
    CHECK(upstream.count(false) == 1);
  }

  TEST_CASE("a silent first server is left after the per-server timeout for the second") {
    DnsLab lab;
    StubServer mute("::1", silent());
    StubServer second("127.0.0.2", answers({"192.0.2.20"}));
    lab.write_resolv_conf("nameserver ::1\nnameserver 127.0.0.2\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    auto outcome = lab.forward(forwarder, make_query(0xbeef, "slow.example"));
    CHECK(get16(outcome.reply, 0) == 0xbeef);
    CHECK(first_a(outcome.reply) == "192.0.2.20");
    CHECK(mute.count(false) == 1);
    CHECK(second.count(false) == 1);
    CHECK(ms(outcome.elapsed) >= 200);
    CHECK(ms(outcome.elapsed) < 1000);
  }

  TEST_CASE("a closed port on the first server moves on at once, without waiting for the timeout") {
    DnsLab lab;
    StubServer second("127.0.0.2", answers({"192.0.2.21"}));
    lab.write_resolv_conf("nameserver 127.0.0.5\nnameserver 127.0.0.2\n");  // nothing on 127.0.0.5:53
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 3000ms);
    auto outcome = lab.forward(forwarder, make_query(1, "closed.example"));
    CHECK(first_a(outcome.reply) == "192.0.2.21");
    CHECK(ms(outcome.elapsed) < 1500);
  }

  TEST_CASE("REFUSED and SERVFAIL go on to the next server; from the last one they are SERVFAIL") {
    DnsLab lab;
    Bytes query = make_query(0x4242, "fail.example");

    SUBCASE("REFUSED, then an answer") {
      StubServer first("127.0.0.1", rcode(refused));
      StubServer second("127.0.0.2", answers({"192.0.2.30"}));
      lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
      Upstreams upstreams(lab.resolv_conf);
      Forwarder forwarder(lab.io, upstreams, 200ms);
      auto outcome = lab.forward(forwarder, query);
      CHECK(rcode_of(outcome.reply) == 0);
      CHECK(first_a(outcome.reply) == "192.0.2.30");
      CHECK(first.count(false) == 1);
    }
    SUBCASE("SERVFAIL, then REFUSED") {
      StubServer first("127.0.0.1", rcode(servfail));
      StubServer second("127.0.0.2", rcode(refused));
      lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
      Upstreams upstreams(lab.resolv_conf);
      Forwarder forwarder(lab.io, upstreams, 200ms);
      auto outcome = lab.forward(forwarder, query);
      CHECK(get16(outcome.reply, 0) == 0x4242);
      CHECK(rcode_of(outcome.reply) == servfail);
      CHECK((outcome.reply[2] & 0x80) != 0);  // QR
      CHECK(get16(outcome.reply, 4) == 1);
      CHECK(ancount_of(outcome.reply) == 0);
      CHECK(Bytes(outcome.reply.begin() + 12, outcome.reply.end()) == Bytes(query.begin() + 12, query.end()));
      CHECK(first.count(false) == 1);
      CHECK(second.count(false) == 1);
      CHECK(ms(outcome.elapsed) < 350);  // answers, not two timeouts of 200 ms
    }
    SUBCASE("every server silent: SERVFAIL after one timeout each") {
      StubServer first("127.0.0.1", silent());
      StubServer second("127.0.0.2", silent());
      lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
      Upstreams upstreams(lab.resolv_conf);
      Forwarder forwarder(lab.io, upstreams, 200ms);
      auto outcome = lab.forward(forwarder, query);
      CHECK(rcode_of(outcome.reply) == servfail);
      CHECK(ms(outcome.elapsed) >= 400);
      CHECK(ms(outcome.elapsed) < 1500);
    }
  }

  TEST_CASE("no upstream at all is SERVFAIL at once") {
    DnsLab lab;
    StubServer bystander("127.0.0.1", answers({"192.0.2.40"}));
    SUBCASE("an empty resolv.conf") {
      lab.write_resolv_conf("# nothing\nsearch example\n");
    }
    SUBCASE("no resolv.conf") {}
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    auto outcome = lab.forward(forwarder, make_query(9, "none.example"));
    CHECK(rcode_of(outcome.reply) == servfail);
    CHECK(get16(outcome.reply, 0) == 9);
    CHECK(ms(outcome.elapsed) < 150);
    CHECK(bystander.received().empty());
  }

  TEST_CASE("a truncated UDP answer is asked again over TCP of the same server") {
    DnsLab lab;
    StubServer first("127.0.0.1", [](const Received& query) {
      if (!query.tcp) return std::vector<Bytes>{make_answer(query.wire, 0, {}, true)};
      return std::vector<Bytes>{make_answer(query.wire, 0, many_addresses(200))};
    });
    StubServer second("127.0.0.2", answers({"192.0.2.50"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);

    auto outcome = lab.forward(forwarder, make_query(0x7777, "big.example"), 65535);
    CHECK(get16(outcome.reply, 0) == 0x7777);
    CHECK_FALSE(tc_of(outcome.reply));
    CHECK(ancount_of(outcome.reply) == 200);
    CHECK(first_a(outcome.reply) == "10.0.0.0");
    CHECK(first.count(false) == 1);
    CHECK(first.count(true) == 1);
    CHECK(second.received().empty());
  }

  TEST_CASE("a TCP retry that fails goes on to the next server") {
    DnsLab lab;
    StubServer first("127.0.0.1", [](const Received& query) {
      if (!query.tcp) return std::vector<Bytes>{make_answer(query.wire, 0, {}, true)};
      Bytes wrong = make_answer(query.wire, 0, {"192.0.2.66"});
      put16(wrong, 0, static_cast<std::uint16_t>(get16(wrong, 0) + 1));  // a wrong id over TCP
      return std::vector<Bytes>{wrong};
    });
    StubServer second("127.0.0.2", answers({"192.0.2.51"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    auto outcome = lab.forward(forwarder, make_query(3, "tcp.example"));
    CHECK(first_a(outcome.reply) == "192.0.2.51");
    CHECK(first.count(true) == 1);
  }

  TEST_CASE("spoofed answers are ignored and the real one accepted") {
    DnsLab lab;
    UniqueFd other_host = bound_socket("127.0.0.9", 53, SOCK_DGRAM);
    UniqueFd other_port = bound_socket("127.0.0.1", 5353, SOCK_DGRAM);
    StubServer upstream("127.0.0.1", [&](const Received& query) {
      auto spoof = [&](int fd, const Bytes& wire) {
        sendto(fd, wire.data(), wire.size(), 0, query.peer.get(), query.peer.length);
      };
      spoof(other_host.get(), make_answer(query.wire, 0, {"203.0.113.1"}));  // right id, wrong address
      spoof(other_port.get(), make_answer(query.wire, 0, {"203.0.113.2"}));  // right id, wrong port
      Bytes wrong_id = make_answer(query.wire, 0, {"203.0.113.3"});
      put16(wrong_id, 0, static_cast<std::uint16_t>(get16(wrong_id, 0) ^ 0x0101));
      Bytes wrong_question = make_answer(query.wire, 0, {"203.0.113.4"});
      put16(wrong_question, question_end(wrong_question) - 4, type_aaaa);
      Bytes not_a_response = make_answer(query.wire, 0, {"203.0.113.5"});
      not_a_response[2] &= 0x7f;
      Bytes runt(query.wire.begin(), query.wire.begin() + 6);
      return std::vector<Bytes>{wrong_id, wrong_question, not_a_response, runt,
                                make_answer(query.wire, 0, {"192.0.2.60"})};
    });
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 500ms);
    auto outcome = lab.forward(forwarder, make_query(0x5151, "spoof.example"));
    CHECK(get16(outcome.reply, 0) == 0x5151);
    CHECK(first_a(outcome.reply) == "192.0.2.60");
    CHECK(ms(outcome.elapsed) < 500);  // accepted when it came, not after a timeout
  }

  TEST_CASE("the question is compared without regard to case") {
    DnsLab lab;
    StubServer upstream("127.0.0.1", [](const Received& query) {
      Bytes answer = make_answer(query.wire, 0, {"192.0.2.61"});
      for (std::size_t i = 13; i < question_end(answer) - 4; ++i)
        if (answer[i] >= 'a' && answer[i] <= 'z') answer[i] = static_cast<std::uint8_t>(answer[i] - 32);
      return std::vector<Bytes>{answer};
    });
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 500ms);
    auto outcome = lab.forward(forwarder, make_query(1, "MiXeD.example"));
    CHECK(first_a(outcome.reply) == "192.0.2.61");
  }

  TEST_CASE("a resolv.conf renamed over the old one sends the next query to its server") {
    DnsLab lab;
    StubServer old_server("127.0.0.1", answers({"192.0.2.71"}));
    StubServer new_server("127.0.0.2", answers({"192.0.2.72"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    CHECK(first_a(lab.forward(forwarder, make_query(1, "a.example")).reply) == "192.0.2.71");
    lab.write_resolv_conf("nameserver 127.0.0.2\n");  // same size: only the inode differs
    CHECK(first_a(lab.forward(forwarder, make_query(2, "a.example")).reply) == "192.0.2.72");
    CHECK(old_server.count(false) == 1);
    CHECK(new_server.count(false) == 1);
  }

  TEST_CASE("the resolver's own address is never forwarded to") {
    DnsLab lab;
    StubServer self("127.0.0.1", answers({"192.0.2.81"}));
    StubServer other("127.0.0.2", answers({"192.0.2.82"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\n");
    Upstreams upstreams(lab.resolv_conf);
    upstreams.exclude({make_address("127.0.0.1"), make_address("::1")});
    Forwarder forwarder(lab.io, upstreams, 200ms);
    CHECK(first_a(lab.forward(forwarder, make_query(1, "own.example")).reply) == "192.0.2.82");
    CHECK(self.received().empty());

    SUBCASE("and when it is the only one, the answer is SERVFAIL") {
      upstreams.exclude({make_address("127.0.0.1"), make_address("127.0.0.2")});
      CHECK(rcode_of(lab.forward(forwarder, make_query(2, "own.example")).reply) == servfail);
      CHECK(self.received().empty());
    }
  }

  TEST_CASE("beyond max_in_flight a query is SERVFAIL at once; the others are answered") {
    DnsLab lab;
    StubServer slow("127.0.0.1", [](const Received& query) {
      std::this_thread::sleep_for(150ms);
      return std::vector<Bytes>{make_answer(query.wire, 0, {"192.0.2.90"})};
    });
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 2000ms, 2);

    std::vector<std::pair<int, Bytes>> replies;  // in the order they came
    for (int i = 0; i < 3; ++i)
      forwarder.forward(make_query(static_cast<std::uint16_t>(100 + i), "busy.example"), 512,
                        [&replies, i](Bytes reply) { replies.emplace_back(i, std::move(reply)); });
    CHECK(forwarder.in_flight() == 2);
    lab.io.run_for(10s);
    REQUIRE(replies.size() == 3);
    CHECK(replies[0].first == 2);
    CHECK(rcode_of(replies[0].second) == servfail);
    CHECK(get16(replies[0].second, 0) == 102);
    for (std::size_t i = 1; i < 3; ++i) {
      CHECK(rcode_of(replies[i].second) == 0);
      CHECK(first_a(replies[i].second) == "192.0.2.90");
    }
    CHECK(forwarder.in_flight() == 0);
    CHECK(slow.count(false) == 2);
    // Room again.
    CHECK(first_a(lab.forward(forwarder, make_query(1, "busy.example")).reply) == "192.0.2.90");
  }

  TEST_CASE("an answer longer than the client's limit is sent as header and question with TC=1") {
    DnsLab lab;
    StubServer upstream("127.0.0.1", answers(many_addresses(100)));  // 100 * 16 bytes
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    Bytes query = make_query(0x0a0b, "large.example");

    auto outcome = lab.forward(forwarder, query, 512);
    CHECK(get16(outcome.reply, 0) == 0x0a0b);
    CHECK(tc_of(outcome.reply));
    CHECK(rcode_of(outcome.reply) == 0);
    CHECK((outcome.reply[2] & 0x80) != 0);
    CHECK(get16(outcome.reply, 4) == 1);
    CHECK(ancount_of(outcome.reply) == 0);
    CHECK(Bytes(outcome.reply.begin() + 12, outcome.reply.end()) == Bytes(query.begin() + 12, query.end()));

    auto over_tcp = lab.forward(forwarder, query, 65535);
    CHECK_FALSE(tc_of(over_tcp.reply));
    CHECK(ancount_of(over_tcp.reply) == 100);
  }

  TEST_CASE("a query with a compression pointer in its question is FORMERR, not forwarded") {
    DnsLab lab;
    StubServer upstream("127.0.0.1", answers({"192.0.2.99"}));
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    Forwarder forwarder(lab.io, upstreams, 200ms);
    Bytes query = make_query(5, "x");
    query[12] = 0xc0;
    query[13] = 0x0c;
    auto outcome = lab.forward(forwarder, query);
    CHECK(rcode_of(outcome.reply) == 1);
    CHECK(get16(outcome.reply, 0) == 5);
    CHECK(upstream.received().empty());
  }

  TEST_CASE("a Forwarder destroyed with queries in flight drops them and leaves no work behind") {
    DnsLab lab;
    StubServer mute("127.0.0.1", silent());
    lab.write_resolv_conf("nameserver 127.0.0.1\n");
    Upstreams upstreams(lab.resolv_conf);
    int calls = 0;
    {
      Forwarder forwarder(lab.io, upstreams, 5000ms);
      forwarder.forward(make_query(1, "gone.example"), 512, [&](Bytes) { ++calls; });
      lab.io.run_for(50ms);
      CHECK(forwarder.in_flight() == 1);
    }
    lab.io.restart();
    Clock::time_point start = Clock::now();
    lab.io.run_for(10s);  // returns as soon as the aborted handlers have run
    CHECK(ms(Clock::now() - start) < 1000);
    CHECK(calls == 0);
  }
}
