// The one doctest main of the integration-test binary. These tests change network
// namespaces and create links, so they need root; otherwise they are skipped (77).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <unistd.h>

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "integration tests need root (they make throwaway network namespaces): skipped\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
