// The resolver's whole query path on anything: Server::handle with a name table
// read from a real ledger (two networks, names, aliases, v4 and v6), as a
// datagram or a TCP message, from a client inside or outside the pools, asked at
// either network's gateway. Forwarding goes nowhere (no upstream): it must
// answer SERVFAIL. Whatever the input, a reply is a response (QR set) to that
// id, within the client's size, and nothing crashes; a query from outside the
// pools never gets a name.
#include <hookwire/ledger.h>

#include "dns/message.h"
#include "dns/server.h"
#include "fuzz_check.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

using namespace hookwire;
using namespace hookwire::dns;
using hookwire::fuzz::expect;

namespace {

LedgerEntry record(const std::string& id, const std::string& bridge, const std::string& net, int host,
                   std::vector<std::string> names) {
  LedgerEntry entry;
  entry.id = id;
  entry.profile = "fuzz";
  entry.status = "running";
  entry.addresses = {{"10." + net + ".0." + std::to_string(host) + "/24", "p4"},
                     {"fd00:" + net + "::" + std::to_string(host) + "/64", "p6"}};
  entry.dns = {bridge,
               "hookwire",
               std::move(names),
               {"10." + net + ".0.1", "fd00:" + net + "::1"},
               {"10." + net + ".0.0/24", "fd00:" + net + "::/64"}};
  return entry;
}

// One resolver for the whole run, over a ledger in a temp dir.
struct Resolver {
  boost::asio::io_context io;
  std::unique_ptr<LedgerWatch> watch;
  NameTable table;
  Upstreams upstreams{"/nonexistent/resolv.conf"};
  Forwarder forwarder{io, upstreams, std::chrono::milliseconds(1)};
  std::unique_ptr<Server> server;

  Resolver() {
    char dir[] = "/tmp/hookwire-fuzz-dns.XXXXXX";
    expect(mkdtemp(dir) != nullptr, "a temp state dir");
    Ledger ledger(dir);
    for (auto entry : {record("web1", "hwf0", "81", 2, {"web", "www"}), record("db1", "hwf0", "81", 3, {"db"}),
                       record("other", "hwf1", "82", 2, {"secret"})})
      ledger.write(entry);
    watch = std::make_unique<LedgerWatch>(dir);
    watch->rescan(table);
    expect(table.containers() == 3, "the ledger's three records are read");
    // Port 0: real sockets on an ephemeral port (IP_FREEBIND needs no privilege).
    server = std::make_unique<Server>(io, *watch, table, upstreams, forwarder, 0, [] {});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Resolver resolver;
  if (size < 1) return 0;
  // The first byte chooses where the query comes from and how.
  std::uint8_t how = data[0];
  bool tcp = how & 1;
  bool v6 = how & 2;
  bool outsider = how & 4;
  bool other_network = how & 8;
  std::string net = other_network ? "82" : "81";
  auto server = *IpAddress::parse(v6 ? "fd00:" + net + "::1" : "10." + net + ".0.1");
  auto client = *IpAddress::parse(outsider ? (v6 ? "fd00:99::9" : "10.99.0.9") : (v6 ? "fd00:81::9" : "10.81.0.9"));
  std::span<const std::uint8_t> query(data + 1, size - 1);
  int replies = 0;
  resolver.server->handle(query, server, client, tcp, [&](std::vector<std::uint8_t> reply) {
    ++replies;
    expect(reply.size() >= 12, "a reply has a header");
    expect(query.size() >= 12 && reply[0] == query[0] && reply[1] == query[1], "a reply carries the query's id");
    expect((reply[2] & 0x80) != 0, "a reply is a response (QR)");
    expect(reply.size() <= (tcp ? 65535u : 4096u), "a reply fits the transport");
    bool answered = reply.size() >= 12 && (reply[6] | reply[7]) != 0;
    expect(!(outsider && answered), "a client outside the pools gets no answer");
  });
  resolver.io.poll();
  resolver.io.restart();
  expect(replies <= 1, "one reply at most");
  return 0;
}
