#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ledger.h>

#include "test_util.h"

#include <fstream>

using hookwire::Ledger;
using hookwire::LedgerEntry;

TEST_SUITE("ledger") {
  TEST_CASE("a record round-trips through its file") {
    hookwire::test::TempDir dir;
    Ledger ledger(dir.path());
    LedgerEntry entry;
    entry.id = "c1";
    entry.profile = "default";
    entry.status = "wired";
    entry.netns = {7, 4026532281};
    entry.netns_path = "/proc/42/ns/net";
    entry.pid = 42;
    entry.links = {{"hw0123456789abc", "eth0", "hookwire0"}};
    entry.addresses = {{"10.213.0.2/16", "10.213.0.0-16"}, {"fd00:213::2/64", "fd00:213::-64"}};
    entry.pools = {"10.213.0.0-16", "fd00:213::-64"};
    ledger.write(entry);
    CHECK_FALSE(entry.created.empty());
    auto back = ledger.find("c1");
    REQUIRE(back);
    CHECK(back->profile == "default");
    CHECK(back->netns == entry.netns);
    CHECK(back->links == entry.links);
    CHECK(back->addresses == entry.addresses);
    CHECK(back->pools == entry.pools);
    CHECK(back->created == entry.created);
    CHECK(ledger.ids() == std::vector<std::string>{"c1"});
    CHECK(ledger.remove("c1"));
    CHECK_FALSE(ledger.remove("c1"));
    CHECK_FALSE(ledger.find("c1"));
  }

  TEST_CASE("a record corrupted by hand is a clear input error, not a crash") {
    hookwire::test::TempDir dir;
    Ledger ledger(dir.path());
    LedgerEntry entry;
    entry.id = "bad";
    ledger.write(entry);
    for (const char* garbage : {"{\"id\":\"bad\"", "[]", "{\"id\":\"bad\",\"status\":7}", ""}) {
      CAPTURE(garbage);
      std::ofstream(ledger.dir() + "/bad.json", std::ios::trunc) << garbage;
      try {
        ledger.find("bad");
        FAIL("expected an error");
      } catch (const hookwire::Error& e) {
        CHECK(e.exit_code() == 2);
        CHECK(std::string(e.what()).find("ledger entry " + ledger.dir() + "/bad.json") == 0);
      }
    }
  }

  TEST_CASE("ids lists only files named by valid ids, not temp files") {
    hookwire::test::TempDir dir;
    Ledger ledger(dir.path());
    LedgerEntry entry;
    entry.id = "b";
    ledger.write(entry);
    entry = {};
    entry.id = "a";
    ledger.write(entry);
    std::ofstream(ledger.dir() + "/.tmp.c.json.123") << "x";
    std::ofstream(ledger.dir() + "/notes.txt") << "x";
    CHECK(ledger.ids() == std::vector<std::string>{"a", "b"});
  }

}  // TEST_SUITE
