#include "unique_fd.h"

#include <unistd.h>

namespace hookwire {

void UniqueFd::reset(int fd) noexcept {
  // close(2) releases the descriptor even when it reports EINTR: never retry.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace hookwire
