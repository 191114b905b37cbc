#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ipam.h>

#include "test_util.h"

#include <set>
#include <sys/wait.h>
#include <unistd.h>

using hookwire::Error;
using hookwire::IpAddress;
using hookwire::Pool;
using hookwire::PoolSpec;

namespace {

using hookwire::test::pool_spec;

}  // namespace

TEST_SUITE("ipam") {
  TEST_CASE("allocation skips the network, the gateway and the broadcast address") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/29", "10.9.0.1"));
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i) got.push_back(pool.allocate("c" + std::to_string(i)).str());
    CHECK(got == std::vector<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"});
    SUBCASE("a full pool is a system error naming the pool") {
      CHECK_THROWS_WITH_AS(pool.allocate("c9"),
                           "allocate an address from the pool 10.9.0.0/29: No space left on device (pool exhausted)",
                           Error);
    }
    SUBCASE("a released address is found again after the hint wraps") {
      CHECK(pool.release(*IpAddress::parse("10.9.0.3"), "c1"));
      CHECK(pool.allocate("c9").str() == "10.9.0.3");
    }
  }

  TEST_CASE("leases belong to their owner") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    auto ip = pool.allocate("alpha");
    CHECK_FALSE(pool.release(ip, "beta"));
    auto leases = pool.leases();
    REQUIRE(leases.size() == 1);
    CHECK(leases[0].owner == "alpha");
    CHECK(pool.release(ip, "alpha"));
    CHECK(pool.leases().empty());
    CHECK_FALSE(pool.release(ip, "alpha"));
  }

  TEST_CASE("requested addresses: inside the pool, not reserved, not taken") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    CHECK(pool.allocate("a", IpAddress::parse("10.9.0.77")).str() == "10.9.0.77");
    // Held by the same owner is held all the same: another interface of it has it.
    CHECK_THROWS_WITH_AS(pool.allocate("a", IpAddress::parse("10.9.0.77")),
                         "address 10.9.0.77 is in use by container \"a\"", Error);
    CHECK_THROWS_WITH_AS(pool.allocate("b", IpAddress::parse("10.9.0.77")),
                         "address 10.9.0.77 is in use by container \"a\"", Error);
    CHECK_THROWS_WITH_AS(pool.allocate("b", IpAddress::parse("10.9.1.5")),
                         "address 10.9.1.5 is outside the pool 10.9.0.0/24", Error);
    CHECK_THROWS_WITH_AS(pool.allocate("b", IpAddress::parse("10.9.0.1")),
                         "address 10.9.0.1 is reserved in the pool 10.9.0.0/24", Error);
    CHECK_THROWS_WITH_AS(pool.allocate("b", IpAddress::parse("10.9.0.255")),
                         "address 10.9.0.255 is reserved in the pool 10.9.0.0/24", Error);
    try {
      pool.allocate("b", IpAddress::parse("10.9.0.77"));
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
    }
  }

  TEST_CASE("IPv6 pools allocate from ::2 upward") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("fd00:213::/64", "fd00:213::1"));
    CHECK(pool.allocate("a").str() == "fd00:213::2");
    CHECK(pool.allocate("b").str() == "fd00:213::3");
    CHECK(pool.spec().key() == "fd00:213::-64");
  }

  TEST_CASE("the hint keeps allocation flat: the 500th lease costs one try") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/16", "10.9.0.1"));
    for (int i = 0; i < 500; ++i) pool.allocate("c" + std::to_string(i));
    // With a hint, the next address is the one after the last: no scan from the start.
    CHECK(pool.allocate("next").str() == "10.9.1.246");
    CHECK(pool.last_tries() == 1);
    SUBCASE("without the hint, the same allocation scans past every lease") {
      REQUIRE(unlink((pool.dir() + "/.next").c_str()) == 0);
      CHECK(pool.allocate("after").str() == "10.9.1.247");
      CHECK(pool.last_tries() == 502);
    }
  }

  TEST_CASE("concurrent allocators never share an address") {
    hookwire::test::TempDir dir;
    auto spec = pool_spec("10.9.0.0/24", "10.9.0.1");
    constexpr int kWorkers = 8, kEach = 20;
    std::vector<pid_t> children;
    for (int w = 0; w < kWorkers; ++w) {
      pid_t pid = fork();
      if (pid == 0) {
        Pool pool(dir.path(), spec);
        for (int i = 0; i < kEach; ++i) pool.allocate("w" + std::to_string(w) + "-" + std::to_string(i));
        _exit(0);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    auto leases = Pool(dir.path(), spec).leases();
    CHECK(leases.size() == kWorkers * kEach);
    std::set<std::string> owners;
    for (const auto& lease : leases) owners.insert(lease.owner);
    CHECK(owners.size() == kWorkers * kEach);
  }

  TEST_CASE("release_everywhere finds an owner's leases in every pool, and junk is reported invalid") {
    hookwire::test::TempDir dir;
    Pool v4(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    Pool v6(dir.path(), pool_spec("fd00:9::/64", "fd00:9::1"));
    v4.allocate("x");
    v6.allocate("x");
    v4.allocate("y");
    auto released = hookwire::release_everywhere(dir.path(), "x");
    CHECK(released.size() == 2);
    CHECK(v4.leases().size() == 1);
    CHECK(v6.leases().empty());
    // A file hookwire did not write is reported as such.
    FILE* junk = fopen((v4.dir() + "/10.9.0.200").c_str(), "w");
    REQUIRE(junk);
    fclose(junk);
    int invalid = 0;
    for (const auto& lease : hookwire::read_lease_dir(v4.dir())) invalid += !lease.valid;
    CHECK(invalid == 1);
  }

}  // TEST_SUITE
