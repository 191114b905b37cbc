// A lab with the default bridge and one veth (eth0 / hw1234) already wired, not committed.
#pragma once

#include <hookwire/network.h>

#include "lab.h"

namespace lab {

struct WiredLab : Lab {
  WiredLab() : bridged(hookwire::ensure_bridge(default_bridge())), wiring(container.handle()) {
    wiring.add_loopback();
    wiring.add_veth(veth_network());
  }

  bool bridged;
  hookwire::Wiring wiring;
};

}  // namespace lab
