// hookwire-prestart: the OCI prestart hook. The library does the work.
#include <hookwire/stage.h>

int main(int argc, char** argv) {
  return hookwire::hook_main(hookwire::HookName::prestart, argc, argv);
}
