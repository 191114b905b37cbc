// What every harness asserts, whatever the input: nothing crashes, and every
// error is a hookwire::Error of the input kind (exit code 2) with a one-line
// message. A broken promise aborts, which libFuzzer reports as a crash and keeps
// the input that caused it.
#pragma once

#include <hookwire/error.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace hookwire::fuzz {

/// The longest error message a harness accepts: messages quote input cut short,
/// so a long one means something echoes input whole into the logs.
inline constexpr std::size_t kMaxMessageBytes = 1024;

/// Stops the run, naming the broken promise.
[[noreturn]] inline void violated(const char* promise, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz: broken promise: %s: %.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void expect(bool ok, const char* promise, std::string_view detail = {}) {
  if (!ok) violated(promise, detail);
}

/// Bad input is Error::input: exit code 2, a non-empty line of bounded length
/// without control characters (a newline would forge a log line).
inline void check_input_error(const Error& e) {
  std::string_view message = e.what();
  expect(e.kind() == Error::Kind::input, "an error from input is an input error", message);
  expect(e.exit_code() == 2, "an input error exits 2", message);
  expect(!message.empty(), "an error message is not empty");
  expect(message.size() <= kMaxMessageBytes, "an error message is bounded", message.substr(0, 200));
  for (unsigned char c : message)
    expect(c >= 0x20 && c != 0x7f, "an error message is one line without control characters", message);
}

/// Runs `body`; an Error is checked as above, anything else thrown is a crash.
template <typename Body>
void run_checked(Body body) {
  try {
    body();
  } catch (const Error& e) {
    check_input_error(e);
  } catch (const std::exception& e) {
    violated("only hookwire::Error is thrown", e.what());
  } catch (...) {
    violated("only hookwire::Error is thrown", "(not a std::exception)");
  }
}

}  // namespace hookwire::fuzz
