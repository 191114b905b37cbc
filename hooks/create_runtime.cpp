// hookwire-create-runtime: the OCI createRuntime hook. The library does the work.
#include <hookwire/stage.h>

int main(int argc, char** argv) {
  return hookwire::hook_main(hookwire::HookName::create_runtime, argc, argv);
}
