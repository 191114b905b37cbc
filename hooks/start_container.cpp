// hookwire-start-container: the OCI startContainer hook, the readiness gate.
// Statically linked: the runtime resolves its path inside the container's rootfs.
#include <hookwire/gate.h>

int main(int argc, char** argv) {
  return hookwire::gate_main(argc, argv);
}
