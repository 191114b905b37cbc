// Logging for the hooks: stderr for what the runtime should show, syslog (ident
// "hookwire") because crun throws hook output away, and an optional log file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookwire {

enum class LogLevel { error, warning, info, debug };

/// Parses "error", "warning" (or "warn"), "info", "debug".
std::optional<LogLevel> log_level_from(std::string_view text);

/// One hook invocation's log. Lines read "TOOL: container ID: message".
class Logger {
 public:
  Logger(std::string tool, LogLevel level = LogLevel::info, std::string log_file = {});
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// From now on, lines name the container: "TOOL: container ID: message".
  void set_container(std::string_view id);

  /// Errors and warnings also go to stderr; every line at or above the level goes
  /// to syslog and the log file.
  void error(std::string_view message) { write(LogLevel::error, message); }
  void warning(std::string_view message) { write(LogLevel::warning, message); }
  void info(std::string_view message) { write(LogLevel::info, message); }
  void debug(std::string_view message) { write(LogLevel::debug, message); }

 private:
  void write(LogLevel level, std::string_view message);
  std::string tool_;
  LogLevel level_;
  std::string log_file_;
  std::string prefix_;  // "TOOL: container ID: "
  bool syslog_open_ = false;
};

}  // namespace hookwire
