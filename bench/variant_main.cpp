// A hook binary built another way, for the A/B link experiments of bench/run.sh:
// the same one-line main as hooks/*.cpp, with the stage chosen at compile time.
#include <hookwire/stage.h>

int main(int argc, char** argv) {
  return hookwire::hook_main(hookwire::HookName::BENCH_STAGE, argc, argv);
}
