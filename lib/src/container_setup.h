// createContainer: the profile's settings inside the container, applied only when
// the hook really runs in the network namespace hookwire wired for it.
#pragma once

#include <string>

#include <hookwire/profile.h>
#include <hookwire/state.h>

#include "log.h"

namespace hookwire {

/// Applies the profile's sysctls in the current netns, and writes /etc/hosts and
/// /etc/resolv.conf in the rootfs when the profile asks for them. Does nothing for
/// a container hookwire did not wire, or when the current netns is not the one on
/// record (never the runtime's own).
void configure_container(const std::string& state_dir, const State& state, const Profile& profile, Logger& log);

}  // namespace hookwire
