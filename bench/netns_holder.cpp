// hookwire-bench-netns-holder: a container stand-in for bench/run.sh. Moves into a
// new network namespace, says so with one byte on stdout, then sleeps until
// killed, holding the namespace. Small and libc-only, so that making a thousand
// of them stays out of the way of what is measured.
#include <sched.h>
#include <unistd.h>

int main() {
  if (unshare(CLONE_NEWNET) != 0) return 1;
  if (write(STDOUT_FILENO, "k", 1) != 1) return 1;
  close(STDOUT_FILENO);
  for (;;) pause();
}
