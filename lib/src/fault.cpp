#include "fault.h"

#ifdef HOOKWIRE_TEST_HOOKS

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace hookwire {

void fault_point(const char* step) {
  static const long target = [] {
    const char* env = std::getenv("HOOKWIRE_FAULT_AFTER");
    return env ? std::strtol(env, nullptr, 10) : 0L;
  }();
  static long count = 0;
  if (target <= 0 || ++count != target) return;
  std::fprintf(stderr, "hookwire: fault injected after step %ld (%s)\n", count, step);
  kill(getpid(), SIGKILL);
}

}  // namespace hookwire

#endif
