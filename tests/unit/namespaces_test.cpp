#include <doctest/doctest.h>

#include <hookwire/namespaces.h>

#include <string>

#include <sched.h>
#include <unistd.h>

using hookwire::Namespaces;
using hookwire::NamespaceType;
using hookwire::NsName;

TEST_SUITE("namespaces") {
  TEST_CASE("NsName maps every type to its /proc/self/ns file") {
    CHECK(NsName(NamespaceType::newnet) == "net");
    CHECK(NsName(NamespaceType::newns) == "mnt");
    CHECK(NsName(NamespaceType::newuts) == "uts");
    CHECK(NsName(NamespaceType::newipc) == "ipc");
    CHECK(NsName(NamespaceType::newpid) == "pid");
    CHECK(NsName(NamespaceType::newuser) == "user");
    CHECK(NsName(NamespaceType::newcgroup) == "cgroup");
    CHECK(NsName(NamespaceType::newtime) == "time");
    CHECK(hookwire::NamespaceTypes().size() == 8);
  }

  TEST_CASE("JSON names round-trip") {
    for (auto type : hookwire::NamespaceTypes()) {
      CAPTURE(hookwire::to_string(type));
      CHECK(hookwire::namespace_type_from(hookwire::to_string(type)) == type);
    }
    CHECK_FALSE(hookwire::namespace_type_from("NEWFOO"));
  }

  TEST_CASE("IsNamespaceSupported agrees with /proc/self/ns") {
    // Without /proc/self/ns, "no" everywhere would agree with it and prove nothing.
    REQUIRE(access("/proc/self/ns/net", F_OK) == 0);
    for (auto type : hookwire::NamespaceTypes()) {
      std::string path = "/proc/self/ns/" + std::string(NsName(type));
      CAPTURE(path);
      bool exists = access(path.c_str(), F_OK) == 0;
      CHECK(hookwire::IsNamespaceSupported(type) == exists);
      // Asked again, the cached answer is the same.
      CHECK(hookwire::IsNamespaceSupported(type) == exists);
    }
  }

  TEST_CASE("CloneFlags has bits only for namespaces without a path") {
    Namespaces ns;
    ns.Add(NamespaceType::newnet, "");
    ns.Add(NamespaceType::newpid, "");
    ns.Add(NamespaceType::newuts, "/proc/1/ns/uts");
    CHECK(ns.CloneFlags() == (CLONE_NEWNET | CLONE_NEWPID));
    SUBCASE("giving a path later removes the bit") {
      ns.Add(NamespaceType::newnet, "/var/run/netns/x");
      CHECK(ns.CloneFlags() == CLONE_NEWPID);
      CHECK(ns.list().size() == 3);
    }
    SUBCASE("Remove drops the type and reports whether it was there") {
      CHECK(ns.Remove(NamespaceType::newpid));
      CHECK_FALSE(ns.Remove(NamespaceType::newpid));
      CHECK(ns.CloneFlags() == CLONE_NEWNET);
    }
  }

  TEST_CASE("Contains and PathOf") {
    Namespaces ns;
    CHECK_FALSE(ns.Contains(NamespaceType::newnet));
    CHECK(ns.PathOf(NamespaceType::newnet).empty());
    ns.Add(NamespaceType::newnet, "/proc/42/ns/net");
    CHECK(ns.Contains(NamespaceType::newnet));
    CHECK(ns.PathOf(NamespaceType::newnet) == "/proc/42/ns/net");
    CHECK_FALSE(ns.Contains(NamespaceType::newuser));
  }

  TEST_CASE("an NsHandle of the current netns has the current netns id") {
    auto handle = hookwire::NsHandle::current_net();
    CHECK(handle.fd() >= 0);
    CHECK(handle.id() == hookwire::current_netns_id());
  }

}  // TEST_SUITE
