// Regression tests for the second hardening review (issue 10), each named after
// its finding. The stage-level ones are in tests/integration/stages/hardening_test.sh.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/ipam.h>

#include "netns_find.h"
#include "test_util.h"

#include <atomic>
#include <fcntl.h>
#include <set>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

using hookwire::IpAddress;
using hookwire::Pool;
using hookwire::PoolSpec;

namespace {

using hookwire::test::pool_spec;

std::string owner_of(const std::string& path) {
  char target[256];
  ssize_t n = readlink(path.c_str(), target, sizeof target);
  return n < 0 ? std::string() : std::string(target, static_cast<std::size_t>(n));
}

}  // namespace

TEST_SUITE("hardening") {
  // Finding 3: release was readlink-then-unlink, and two releasers of one owner (gc
  // and poststop) could both pass the check; the second unlinked the lease a third
  // container had taken in between. Every remover now holds the pool's lock.
  TEST_CASE("releasing a lease was check-then-unlink") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    auto ip = pool.allocate("first");
    std::string lease = pool.dir() + "/" + ip.str();

    int pool_lock = open(pool.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(pool_lock >= 0);
    REQUIRE(flock(pool_lock, LOCK_EX) == 0);  // another remover is half-way through
    std::atomic<bool> released{true};
    std::thread releaser([&] { released = hookwire::release_lease(pool.dir(), ip, "first"); });
    usleep(200 * 1000);
    CHECK_MESSAGE(owner_of(lease) == "first", "the release did not wait for the pool's lock");
    // Meanwhile the other remover releases it and a new container takes it.
    REQUIRE(unlink(lease.c_str()) == 0);
    REQUIRE(symlink("second", lease.c_str()) == 0);
    close(pool_lock);
    releaser.join();
    CHECK_FALSE(released);
    CHECK(owner_of(lease) == "second");
  }

  // Finding 4: a lease the owner already held counted as "already ours", so the
  // second veth of a profile with two on one pool got the first one's address.
  TEST_CASE("a profile with two veths on one pool got one address twice") {
    hookwire::test::TempDir dir;
    SUBCASE("two allocations of one owner") {
      Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
      CHECK(pool.allocate("twin") != pool.allocate("twin"));
    }
    SUBCASE("on a nearly full pool, the owner's own lease is not the free one") {
      Pool pool(dir.path(), pool_spec("10.9.0.0/29", "10.9.0.1"));  // .2 to .6
      for (const char* owner : {"a", "b", "c", "d"}) pool.allocate(owner);
      CHECK(pool.allocate("twin").str() == "10.9.0.6");
      // The scan wraps round to the owner's own lease: that is not a free address.
      CHECK_THROWS_AS(pool.allocate("twin"), hookwire::Error);
    }
  }

  // Finding 4, second half: a concurrent hook can write an older hint after a
  // newer one. The hint only says where to start; the lease is still one symlink(2).
  TEST_CASE("a hint moved backwards by a concurrent hook costs tries, never a shared address") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    std::set<std::string> taken;
    for (int i = 0; i < 10; ++i) taken.insert(pool.allocate("c" + std::to_string(i)).str());
    FILE* hint = fopen((pool.dir() + "/.next").c_str(), "w");
    REQUIRE(hint);
    fputs("10.9.0.2", hint);  // the first lease: every address after it is taken
    fclose(hint);
    auto next = pool.allocate("late").str();
    CHECK(taken.count(next) == 0);
    CHECK(next == "10.9.0.12");
    CHECK(pool.last_tries() == 10);
  }

  // Finding 6: a netns bind-mounted at a path with a space shows in mountinfo as
  // "\040"; gc compared the escaped text, found nothing there, and unwired a live
  // container.
  TEST_CASE("gc treated a netns pinned at a path containing a space as gone") {
    CHECK(hookwire::unescape_mountinfo("/run/net\\040ns/c1") == "/run/net ns/c1");
    CHECK(hookwire::unescape_mountinfo("/a\\011b\\012c\\134d") == "/a\tb\nc\\d");
    CHECK(hookwire::unescape_mountinfo("/plain/path") == "/plain/path");
    CHECK(hookwire::unescape_mountinfo("/not\\09escape\\") == "/not\\09escape\\");
  }

  // A sibling of finding 3: gc locks a lease's owner by id before it releases an
  // orphan, so an owner that is not a valid id (a damaged lease) would have named a
  // lock file outside the locks directory. Such a lease is a stray, removed as one.
  TEST_CASE("a lease whose owner is not a container id is a stray, never a lock path") {
    hookwire::test::TempDir dir;
    Pool pool(dir.path(), pool_spec("10.9.0.0/24", "10.9.0.1"));
    pool.allocate("fine");
    std::string bad = pool.dir() + "/10.9.0.77";
    REQUIRE(symlink("../../escape", bad.c_str()) == 0);
    int invalid = 0;
    for (const auto& lease : hookwire::read_lease_dir(pool.dir())) invalid += !lease.valid;
    CHECK(invalid == 1);
    CHECK(hookwire::remove_stray_lease_file(pool.dir(), "10.9.0.77"));
    CHECK_FALSE(hookwire::remove_stray_lease_file(pool.dir(), "10.9.0.2"));  // a valid lease stays
    CHECK(pool.leases().size() == 1);
  }

}  // TEST_SUITE
