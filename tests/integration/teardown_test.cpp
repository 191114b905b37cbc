// remove_host_link: poststop's unwiring, idempotent whatever is already gone.
#include <doctest/doctest.h>

#include <hookwire/error.h>
#include <hookwire/network.h>

#include <chrono>
#include <thread>

#include "lab.h"

using namespace lab;

namespace {

const std::string kOwner = hookwire::owner_alias("c1");

void wire_and_commit(const Lab& lab) {
  hookwire::ensure_bridge(default_bridge());
  hookwire::Wiring wiring(lab.container.handle(), kOwner);
  wiring.add_veth(veth_network());
  wiring.commit();
}

}  // namespace

TEST_SUITE("teardown") {
  TEST_CASE("remove_host_link deletes both ends; a second call finds nothing to do") {
    Lab lab;
    wire_and_commit(lab);
    CHECK(hookwire::remove_host_link("hw1234", kOwner));
    CHECK(link(lab.host, "hw1234").is_null());
    CHECK(link(lab.container, "eth0").is_null());
    CHECK_FALSE(hookwire::remove_host_link("hw1234", kOwner));
  }

  TEST_CASE("remove_host_link of a name that never existed is success with nothing deleted") {
    Lab lab;
    CHECK_FALSE(hookwire::remove_host_link("hw-never", kOwner));
  }

  TEST_CASE("remove_host_link succeeds right after the container netns lost its last reference") {
    Lab lab;
    wire_and_commit(lab);
    lab.container.release();  // the kernel now tears the netns down, asynchronously
    CHECK_NOTHROW(hookwire::remove_host_link("hw1234", kOwner));
    CHECK(link(lab.host, "hw1234").is_null());
  }

  TEST_CASE("remove_host_link after the kernel already removed the pair with its netns") {
    Lab lab;
    wire_and_commit(lab);
    lab.container.release();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (link(lab.host, "hw1234").is_object() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(link(lab.host, "hw1234").is_null());
    CHECK_FALSE(hookwire::remove_host_link("hw1234", kOwner));
  }

  TEST_CASE("remove_host_link leaves the bridge and other links alone") {
    Lab lab;
    wire_and_commit(lab);
    hookwire::remove_host_link("hw1234", kOwner);
    CHECK(link(lab.host, "hookwire0").is_object());
  }

  TEST_CASE("remove_host_link never deletes a link that is not a veth, whatever its name") {
    Lab lab;
    hookwire::ensure_bridge(default_bridge());
    run_in(lab.host, "ip link add hw-not-ours type ifb");
    CHECK_FALSE(hookwire::remove_host_link("hookwire0", kOwner));
    CHECK_FALSE(hookwire::remove_host_link("hw-not-ours", kOwner));
    CHECK(link(lab.host, "hookwire0").is_object());
    CHECK(link(lab.host, "hw-not-ours").is_object());
  }

  // Finding 5 of issue 10: a host end's name is a hash of the id, and two ids can
  // share it. A name alone is no proof of ownership: the alias with the whole id is.
  TEST_CASE("colliding host-link names: teardown deletes only a link that carries its owner's alias") {
    Lab lab;
    wire_and_commit(lab);
    CHECK(link(lab.host, "hw1234")["ifalias"] == "hookwire c1");
    CHECK_FALSE(hookwire::remove_host_link("hw1234", hookwire::owner_alias("c2")));
    CHECK(link(lab.host, "hw1234").is_object());
    CHECK(hookwire::remove_host_link("hw1234", kOwner));
    CHECK(link(lab.host, "hw1234").is_null());
  }
}
