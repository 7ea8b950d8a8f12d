#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "common/redact.h"

namespace stasis {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}
bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load();
}

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  static const std::pair<std::string_view, LogLevel> kNames[] = {{"trace", LogLevel::kTrace},
                                                                 {"debug", LogLevel::kDebug},
                                                                 {"info", LogLevel::kInfo},
                                                                 {"warn", LogLevel::kWarn},
                                                                 {"error", LogLevel::kError}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      *out = l;
      return true;
    }
  }
  return false;
}

LogLine::~LogLine() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line =
      std::string(stamp) + " " + LevelName(level_) + " " + RedactText(out_.str()) + "\n";
  // One write() per line so concurrent threads do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace stasis
