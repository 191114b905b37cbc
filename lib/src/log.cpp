#include "log.h"

#include <hookwire/state.h>

#include "timestamp.h"
#include "unique_fd.h"

#include <cstdio>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

namespace hookwire {

namespace {

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return LOG_ERR;
    case LogLevel::warning:
      return LOG_WARNING;
    case LogLevel::info:
      return LOG_INFO;
    case LogLevel::debug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warning:
      return "warning";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "info";
}

}  // namespace

std::optional<LogLevel> log_level_from(std::string_view text) {
  if (text == "error") return LogLevel::error;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "info") return LogLevel::info;
  if (text == "debug") return LogLevel::debug;
  return std::nullopt;
}

Logger::Logger(std::string tool, LogLevel level, std::string log_file)
    : tool_(std::move(tool)), level_(level), log_file_(std::move(log_file)), prefix_(tool_ + ": ") {}

Logger::~Logger() {
  if (syslog_open_) closelog();
}

void Logger::set_container(std::string_view id) {
  prefix_ = tool_ + ": container " + short_id(id) + ": ";
}

void Logger::write(LogLevel level, std::string_view message) {
  if (level > level_) return;
  std::string line = prefix_;
  line += message;
  if (level <= LogLevel::warning) {
    std::string out = line + "\n";
    // One write(2) so the line is never interleaved with another process's.
    if (::write(STDERR_FILENO, out.data(), out.size()) < 0) {
    }
  }
  if (!syslog_open_) {
    openlog("hookwire", LOG_PID, LOG_DAEMON);
    syslog_open_ = true;
  }
  syslog(syslog_priority(level), "%s", line.c_str());
  if (!log_file_.empty()) {
    UniqueFd fd(open(log_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640));
    if (fd) {
      std::string out = now_rfc3339() + " " + level_name(level) + " " + line + "\n";
      if (::write(fd.get(), out.data(), out.size()) < 0) {
      }
    }
  }
}

}  // namespace hookwire
