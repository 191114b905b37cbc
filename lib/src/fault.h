// Fault injection for the crash-at-every-step tests. Compiled in only when the
// build sets -Dtest_hooks=true; packages never carry it.
#pragma once

namespace hookwire {

#ifdef HOOKWIRE_TEST_HOOKS
/// Counts a step of the wiring; when HOOKWIRE_FAULT_AFTER=N names this step's
/// number, the process kills itself with SIGKILL, as a runtime's timeout would.
void fault_point(const char* step);
#else
inline void fault_point(const char*) {}
#endif

}  // namespace hookwire
