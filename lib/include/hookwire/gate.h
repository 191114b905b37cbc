// The startContainer readiness gate: hookwire-start-container's entry point.
#pragma once

#include <hookwire/export.h>

namespace hookwire {

/// Waits, within --timeout, until every non-loopback interface of the calling
/// process's netns is up with an address and no IPv6 address is tentative. Kept
/// apart from hook_main so that its statically linked binary carries only what the
/// gate needs: it runs inside the container, after pivot_root, and reads no host
/// files (so no profile either). Returns the exit code.
HOOKWIRE_EXPORT int gate_main(int argc, char** argv);

}  // namespace hookwire
