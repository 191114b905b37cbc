// forget_conntrack: which entries of a namespace's conntrack table go. Entries are
// inserted with conntrack-tools (`conntrack -I`, DNAT ones with --dst-nat) or made
// by real traffic, and the table is read back with `conntrack -L`: an independent
// view, not our own dump.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ip.h>
#include <hookwire/namespaces.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conntrack.h"
#include "lab.h"
#include "unique_fd.h"

// Lists of entries in failure messages, rather than doctest's "{?}".
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& items) {
    std::string text = "[";
    for (const auto& item : items) text += (text.size() > 1 ? ", \"" : "\"") + item + "\"";
    return (text + "]").c_str();
  }
};

using namespace lab;
using hookwire::forget_conntrack;
using hookwire::HostPort;
using hookwire::IpAddress;
using hookwire::Protocol;

namespace {

/// A throwaway netns with the test thread inside it.
struct ConntrackLab {
  ThrowawayNetns ns;
  hookwire::NetnsGuard inside{ns.fd()};
};

/// While it lives, the process may open no file descriptor (RLIMIT_NOFILE 0).
class NoNewFds {
 public:
  NoNewFds() {
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit none = saved_;
    none.rlim_cur = 0;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &none) == 0);
  }
  ~NoNewFds() { setrlimit(RLIMIT_NOFILE, &saved_); }
  NoNewFds(const NoNewFds&) = delete;
  NoNewFds& operator=(const NoNewFds&) = delete;

 private:
  rlimit saved_{};
};

IpAddress ip(const char* text) {
  auto parsed = IpAddress::parse(text);
  REQUIRE(parsed);
  return *parsed;
}

/// Inserts one entry: `conntrack -I ARGS` with a timeout that outlives the test.
void insert(const ThrowawayNetns& ns, const std::string& args) {
  run_in(ns, "conntrack -I " + args + " --timeout 100 2>/dev/null");
}

/// Sends one UDP datagram from SOURCE:SPORT to DESTINATION:DPORT in the calling
/// thread's netns (nothing listens: the flow's first packet is all conntrack needs).
void send_udp(const char* source, std::uint16_t sport, const char* destination, std::uint16_t dport) {
  hookwire::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(sport);
  REQUIRE(inet_pton(AF_INET, source, &local.sin_addr) == 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(dport);
  REQUIRE(inet_pton(AF_INET, destination, &remote.sin_addr) == 1);
  REQUIRE(::sendto(fd.get(), "x", 1, 0, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) == 1);
}

/// The original direction of every entry in `ns`, as "PROTO SRC:SPORT>DST:DPORT", sorted.
std::vector<std::string> entries(const ThrowawayNetns& ns) {
  std::string out = lab::capture("nsenter --net=" + ns.path() + " conntrack -L 2>/dev/null");

  std::vector<std::string> found;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string protocol, word, src, dst, sport, dport;
    words >> protocol;
    // The first src=, dst=, sport=, dport= are the original direction's.
    auto first = [](std::string& field, const std::string& w, const std::string& key) {
      if (field.empty() && w.rfind(key, 0) == 0) field = w.substr(key.size());
    };
    while (words >> word) {
      first(src, word, "src=");
      first(dst, word, "dst=");
      first(sport, word, "sport=");
      first(dport, word, "dport=");
    }
    if (!protocol.empty()) found.push_back(protocol + " " + src + ":" + sport + ">" + dst + ":" + dport);
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

TEST_SUITE("conntrack") {
  TEST_CASE("an address's entries go whether it is their original source or destination; others stay") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.1.0.2 --sport 1000 --dport 2000");
    insert(lab.ns, "-p tcp -s 10.1.0.3 -d 10.1.0.7 --sport 1001 --dport 2001 --state ESTABLISHED");
    insert(lab.ns, "-p udp -s 10.1.0.3 -d 10.1.0.2 --sport 1002 --dport 2002");
    // NATed entries, where the address is in one place only. Source-NATed away:
    // the original source alone.
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.3.0.9 --sport 1003 --dport 2003 --src-nat 10.2.0.1");
    // Destination-NATed away: the original destination alone.
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.1.0.7 --sport 1004 --dport 2004 --dst-nat 10.3.0.9");
    // Source-NATed to it: the reply destination alone.
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.3.0.9 --sport 1005 --dport 2005 --src-nat 10.1.0.7");
    REQUIRE(entries(lab.ns).size() == 6);

    CHECK(forget_conntrack({ip("10.1.0.7")}, {}) == 5);
    CHECK(entries(lab.ns) == std::vector<std::string>{"udp 10.1.0.3:1002>10.1.0.2:2002"});
  }

  TEST_CASE("a DNAT entry goes when the released address is only its reply source") {
    ConntrackLab lab;
    // A client reached host port 8080, DNATed to the container's 10.1.0.7:80: the
    // container's address appears in the reply direction alone.
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1000 --dport 8080 --dst-nat 10.1.0.7:80");
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1001 --dport 8081 --dst-nat 10.1.0.8:80");
    REQUIRE(entries(lab.ns).size() == 2);

    CHECK(forget_conntrack({ip("10.1.0.7")}, {}) == 1);
    CHECK(entries(lab.ns) == std::vector<std::string>{"udp 10.2.0.3:1001>10.2.0.4:8081"});
  }

  // Regression: deleting through nfnl_ct_del, which rebuilds the tuple from libnl's
  // parse, missed an entry with a zone for its original direction: libnl knows no
  // CTA_TUPLE_ZONE, the kernel looked in zone 0 and answered ENOENT.
  TEST_CASE("an entry in a conntrack zone goes, whichever direction the zone is for") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.1.0.2 --sport 1000 --dport 2000 --zone 5");
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.1.0.2 --sport 1001 --dport 2000 --orig-zone 6");
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.1.0.2 --sport 1002 --dport 2000 --reply-zone 7");
    insert(lab.ns, "-p udp -s 10.1.0.8 -d 10.1.0.2 --sport 1003 --dport 2000 --orig-zone 6");
    REQUIRE(entries(lab.ns).size() == 4);

    CHECK(forget_conntrack({ip("10.1.0.7")}, {}) == 3);
    CHECK(entries(lab.ns) == std::vector<std::string>{"udp 10.1.0.8:1003>10.1.0.2:2000"});
  }

  TEST_CASE("an IPv6 address's entries go; other addresses' stay, of either family") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s fd00:213::7 -d fd00:213::1 --sport 1000 --dport 53");
    insert(lab.ns, "-p udp -s fd00:213::8 -d fd00:213::1 --sport 1000 --dport 53");
    insert(lab.ns, "-p udp -s 10.213.0.7 -d 10.213.0.1 --sport 1000 --dport 53");
    REQUIRE(entries(lab.ns).size() == 3);

    CHECK(forget_conntrack({ip("fd00:213::7")}, {}) == 1);
    CHECK(entries(lab.ns) ==
          std::vector<std::string>{"udp 10.213.0.7:1000>10.213.0.1:53", "udp fd00:213::8:1000>fd00:213::1:53"});
  }

  TEST_CASE("a host port's DNAT entries go; a non-DNAT entry to that port and other protocols' stay") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1000 --dport 8080 --dst-nat 10.1.0.7:80");
    insert(lab.ns, "-p udp -s fd00:2::3 -d fd00:2::4 --sport 1000 --dport 8080 --dst-nat [fd00:213::7]:80");
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1001 --dport 8080");  // not NATed: stays
    insert(lab.ns,
           "-p tcp -s 10.2.0.3 -d 10.2.0.4 --sport 1002 --dport 8080 --state ESTABLISHED --dst-nat 10.1.0.7:80");
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1003 --dport 8081 --dst-nat 10.1.0.7:80");
    insert(lab.ns,
           "-p sctp -s 10.2.0.3 -d 10.2.0.4 --sport 1004 --dport 9000 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2 "
           "--dst-nat 10.1.0.7");
    REQUIRE(entries(lab.ns).size() == 6);

    CHECK(forget_conntrack({}, {HostPort{Protocol::udp, 8080}, HostPort{Protocol::sctp, 9000}}) == 3);
    CHECK(entries(lab.ns) == std::vector<std::string>{"tcp 10.2.0.3:1002>10.2.0.4:8080",
                                                      "udp 10.2.0.3:1001>10.2.0.4:8080",
                                                      "udp 10.2.0.3:1003>10.2.0.4:8081"});
  }

  TEST_CASE("a port being published loses the flows to it that are not NATed, and only those") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1000 --dport 8080");  // would shadow the DNAT
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1001 --dport 8080 --dst-nat 10.1.0.7:80");
    insert(lab.ns, "-p udp -s 10.2.0.3 -d 10.2.0.4 --sport 1002 --dport 8081");
    REQUIRE(entries(lab.ns).size() == 3);

    CHECK(forget_conntrack({}, {HostPort{Protocol::udp, 8080}}, hookwire::PortFlows::not_nated) == 1);
    CHECK(entries(lab.ns) ==
          std::vector<std::string>{"udp 10.2.0.3:1001>10.2.0.4:8080", "udp 10.2.0.3:1002>10.2.0.4:8081"});
  }

  TEST_CASE("an entry made by real traffic goes; a second call finds nothing left to delete") {
    ConntrackLab lab;
    run_in(lab.ns, "ip link set lo up");
    run_in(lab.ns, "nft add table inet t");
    run_in(lab.ns, "nft add chain inet t c '{ type filter hook output priority 0; }'");
    run_in(lab.ns, "nft add rule inet t c ct state new counter");
    send_udp("127.0.0.5", 5000, "127.0.0.9", 6000);
    send_udp("127.0.0.6", 5000, "127.0.0.9", 6000);
    REQUIRE(entries(lab.ns) ==
            std::vector<std::string>{"udp 127.0.0.5:5000>127.0.0.9:6000", "udp 127.0.0.6:5000>127.0.0.9:6000"});

    CHECK(forget_conntrack({ip("127.0.0.5")}, {}) == 1);
    CHECK(entries(lab.ns) == std::vector<std::string>{"udp 127.0.0.6:5000>127.0.0.9:6000"});
    CHECK(forget_conntrack({ip("127.0.0.5")}, {}) == 0);
  }

  TEST_CASE("an entry another deleter removed first is not an error, and is counted once") {
    ConntrackLab lab;
    constexpr int kEntries = 2000;
    run_in(lab.ns, "sh -c 'for i in $(seq 0 " + std::to_string(kEntries - 1) +
                       "); do echo \"-I -p udp -s 10.1.$((i / 256)).$((i % 256)) -d 10.8.8.8 --sport 1000 --dport 2000 "
                       "--timeout 100\"; done | conntrack -R - 2>/dev/null'");
    REQUIRE(entries(lab.ns).size() == kEntries);

    // Two calls at once (threads made here start in this netns). Each dumps the
    // table before the other is done deleting (2000 deletes take tens of ms), so
    // one of them deletes entries the other already has, and is answered ENOENT.
    // Should one call ever end before the other starts, the test passes without
    // meeting ENOENT; it cannot fail a correct forget_conntrack.
    std::array<std::size_t, 2> deleted{};
    std::array<std::string, 2> failed;
    std::latch start(2);
    auto forget = [&](int i) {
      start.arrive_and_wait();
      try {
        deleted[i] = forget_conntrack({ip("10.8.8.8")}, {});
      } catch (const std::exception& e) {
        failed[i] = e.what();
      }
    };
    std::thread first(forget, 0), second(forget, 1);
    first.join();
    second.join();

    CHECK(failed[0] == "");
    CHECK(failed[1] == "");
    CHECK(deleted[0] + deleted[1] == kEntries);
    CHECK(entries(lab.ns).empty());
  }

  TEST_CASE("empty lists delete nothing, and open no socket to find that out") {
    ConntrackLab lab;
    insert(lab.ns, "-p udp -s 10.1.0.7 -d 10.1.0.2 --sport 1000 --dport 8080 --dst-nat 10.1.0.8:80");
    auto before = entries(lab.ns);
    REQUIRE(before.size() == 1);

    {
      // With no fd to be had, only a call that opens nothing can succeed.
      NoNewFds no_fds;
      CHECK(forget_conntrack({}, {}) == 0);
#ifndef __SANITIZE_ADDRESS__
      // Not under the sanitizers: UBSan's check of the Error being thrown needs
      // a file descriptor of its own, and reports a false "invalid vptr" without.
      CHECK_THROWS_WITH_AS(forget_conntrack({ip("10.1.0.7")}, {}),
                           "conntrack: open a NETLINK_NETFILTER socket: Too many open files", hookwire::Error);
#endif
    }
    CHECK(entries(lab.ns) == before);
  }
}
