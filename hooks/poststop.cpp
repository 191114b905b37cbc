// hookwire-poststop: the OCI poststop hook. The library does the work.
#include <hookwire/stage.h>

int main(int argc, char** argv) {
  return hookwire::hook_main(hookwire::HookName::poststop, argc, argv);
}
