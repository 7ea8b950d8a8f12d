// Minimal leveled logging to stderr (the daemon's log). Secrets must never
// be passed here: callers log locations and ids, not credentials.
#pragma once

#include <sstream>
#include <string_view>

namespace stasis {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view name, LogLevel* out);
bool LogEnabled(LogLevel level);

// Collects one line and writes it atomically on destruction.
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  template <class T>
  LogLine& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream out_;
};

// Lets STASIS_LOG be one expression (safe after an unbraced `if`): `&`
// binds looser than `<<`, so the whole line is built before it is voided.
struct LogVoidify {
  void operator&(const LogLine&) {}
};

}  // namespace stasis

#define STASIS_LOG(level)                             \
  !::stasis::LogEnabled(::stasis::LogLevel::k##level) \
      ? (void)0                                       \
      : ::stasis::LogVoidify() & ::stasis::LogLine(::stasis::LogLevel::k##level)
