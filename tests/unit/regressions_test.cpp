// Regression tests for bugs the hardening work found (fuzzers, full disk, state
// dir corruption), each named after the bug.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ipam.h>
#include <hookwire/ledger.h>
#include <hookwire/profile.h>
#include <hookwire/state.h>

#include "test_util.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using hookwire::Error;

namespace {

// What every input error must be: exit code 2, one line without control bytes,
// and short whatever the input.
void check_one_short_line(const Error& e) {
  std::string message = e.what();
  CHECK(e.exit_code() == 2);
  CHECK(message.size() <= 1024);
  for (unsigned char c : message) {
    CAPTURE(message);
    REQUIRE((c >= 0x20 && c != 0x7f));
  }
}

}  // namespace

TEST_SUITE("regressions") {
  // Found by tests/fuzz/state_fuzzer: nlohmann quotes the token it choked on whole
  // ("last read: '...'"), so a 1 MiB string with one bad byte at its end made a
  // 1 MiB error line, and a DEL byte went into the logs raw.
  TEST_CASE("a parse error echoed the whole bad token, DEL included, into its one-line message") {
    SUBCASE("a long token is cut") {
      std::string state = "{\"id\":\"" + std::string(100000, 'x') + "\xff\"}";
      try {
        hookwire::parse_state(state);
        FAIL("expected an error");
      } catch (const Error& e) {
        check_one_short_line(e);
        CHECK(std::string(e.what()).find("last read: '\"xxxxxxxx") != std::string::npos);
        CHECK(std::string(e.what()).find("...'") != std::string::npos);
      }
    }
    SUBCASE("DEL is escaped, in States and profiles alike") {
      try {
        hookwire::parse_state("{\"netw\x7frks\":nu\xecl}");
        FAIL("expected an error");
      } catch (const Error& e) {
        check_one_short_line(e);
      }
      try {
        hookwire::parse_profile("{\"netw\x7frks\":nu\xecl}", "p");
        FAIL("expected an error");
      } catch (const Error& e) {
        check_one_short_line(e);
        CHECK(std::string(e.what()).find("\\x7f") != std::string::npos);
      }
    }
    SUBCASE("a huge number's overflow message is bounded") {
      try {
        hookwire::parse_state("{\"id\":\"a\",\"pid\":1" + std::string(100000, '0') + "e999}");
        FAIL("expected an error");
      } catch (const Error& e) {
        check_one_short_line(e);
      }
    }
    SUBCASE("short tokens read as before") {
      CHECK_THROWS_WITH_AS(hookwire::parse_state("not json"),
                           "state: not valid JSON: parse error at line 1, column 2: syntax error while parsing value - "
                           "invalid literal; last read: 'no'",
                           Error);
    }
  }

  // Found by tests/integration/stages/faults_test.sh full_disk: with the state dir
  // full, the pool hint could not be written after the lease was taken, allocate
  // threw, and the lease it had just taken was left behind with no record.
  TEST_CASE("a pool hint that cannot be read or written leaked the lease just taken") {
    hookwire::test::TempDir dir;
    hookwire::PoolSpec spec{*hookwire::Cidr::parse("10.9.0.0/24"), *hookwire::IpAddress::parse("10.9.0.1")};
    hookwire::Pool pool(dir.path(), spec);
    // A directory (not empty, so rename(2) cannot replace it) where the hint belongs:
    // reading it and writing it both fail, as on a full or damaged disk.
    std::filesystem::create_directories(pool.dir() + "/.next/stuck");
    auto ip = pool.allocate("c1");
    CHECK(ip.str() == "10.9.0.2");
    REQUIRE(pool.leases().size() == 1);
    CHECK(pool.leases()[0].owner == "c1");
    CHECK(pool.allocate("c2").str() == "10.9.0.3");
    for (const auto& entry : std::filesystem::directory_iterator(pool.dir())) {
      CAPTURE(entry.path());
      CHECK(entry.path().filename().string().rfind(".tmp.", 0) != 0);
    }
  }

  // Found by tests/integration/stages/hostile_test.sh ledger_corruption: a symlink
  // where a record belongs made find() throw a system error (ELOOP), which
  // create-runtime, poststop and gc all gave up on: nothing could repair it.
  TEST_CASE("a symlink or directory in place of a ledger record blocked poststop and gc") {
    hookwire::test::TempDir dir;
    hookwire::Ledger ledger(dir.path());
    hookwire::LedgerEntry entry;
    entry.id = "c1";
    ledger.write(entry);
    std::string path = ledger.dir() + "/c1.json";
    SUBCASE("a symlink is a corrupt record, and removing it leaves its target alone") {
      std::string target = dir.path() + "/target";
      std::ofstream(target) << "precious";
      REQUIRE(unlink(path.c_str()) == 0);
      REQUIRE(symlink(target.c_str(), path.c_str()) == 0);
      CHECK_THROWS_WITH_AS(ledger.find("c1"),
                           ("ledger entry " + path + ": corrupt: Too many levels of symbolic links").c_str(), Error);
      CHECK(ledger.remove("c1"));
      std::string content;
      std::getline(std::ifstream(target), content);
      CHECK(content == "precious");
    }
    SUBCASE("a directory is a corrupt record") {
      REQUIRE(unlink(path.c_str()) == 0);
      REQUIRE(mkdir(path.c_str(), 0700) == 0);
      CHECK_THROWS_WITH_AS(ledger.find("c1"), ("ledger entry " + path + ": corrupt: Is a directory").c_str(), Error);
    }
  }

}  // TEST_SUITE
