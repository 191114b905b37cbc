// The one error type of hookwire: errno plus "verb object" context.
#pragma once

#include <string>
#include <system_error>

#include <hookwire/export.h>

namespace hookwire {

/// Everything hookwire throws. Input errors (exit 2) mean nothing was changed;
/// system errors (exit 1) mean a system operation failed and was rolled back.
class HOOKWIRE_EXPORT Error : public std::system_error {
 public:
  enum class Kind { input, system };

  /// Bad input: State, profile, annotation, option. what() is the message as given.
  static Error input(std::string message);
  /// A failed system call or netlink request: what() is "context: strerror(err)",
  /// or "context: strerror(err) (detail)" when the kernel said more (extended ack).
  static Error system(int err, std::string context, std::string detail = {});
  /// A failure whose message is already complete (a chained hook's runc-style
  /// error, say). Exit 1 like any system error.
  static Error failed(std::string message);

  Kind kind() const noexcept { return kind_; }
  /// 2 for input errors, 1 for system errors: the hooks' exit codes.
  int exit_code() const noexcept { return kind_ == Kind::input ? 2 : 1; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  Error(Kind kind, int err, std::string message);
  Kind kind_;
  std::string message_;
};

/// Throws Error::system(errno, context). For the common "syscall failed" case.
[[noreturn]] HOOKWIRE_EXPORT void throw_errno(std::string context);

}  // namespace hookwire
