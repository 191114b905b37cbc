#include <hookwire/error.h>

#include <cerrno>
#include <cstring>

namespace hookwire {

Error::Error(Kind kind, int err, std::string message)
    : std::system_error(err, std::generic_category()), kind_(kind), message_(std::move(message)) {}

Error Error::input(std::string message) {
  return Error(Kind::input, EINVAL, std::move(message));
}

Error Error::system(int err, std::string context, std::string detail) {
  std::string message = std::move(context);
  message += ": ";
  message += std::strerror(err);
  if (!detail.empty()) message += " (" + detail + ")";
  return Error(Kind::system, err, std::move(message));
}

Error Error::failed(std::string message) {
  return Error(Kind::system, EIO, std::move(message));
}

void throw_errno(std::string context) {
  throw Error::system(errno, std::move(context));
}

}  // namespace hookwire
