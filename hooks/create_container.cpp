// hookwire-create-container: the OCI createContainer hook. The library does the work.
#include <hookwire/stage.h>

int main(int argc, char** argv) {
  return hookwire::hook_main(hookwire::HookName::create_container, argc, argv);
}
