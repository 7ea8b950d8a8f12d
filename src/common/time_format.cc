#include "common/time_format.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace stasis {

namespace {
std::string Format(int64_t unix_seconds, const char* fmt) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}
}  // namespace

int64_t NowUnixSeconds() {
  return static_cast<int64_t>(std::time(nullptr));
}
std::string CompactUtcStamp(int64_t s) {
  return Format(s, "%Y%m%dT%H%M%SZ");
}
std::string CompactUtcStampMillis(int64_t ms) {
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  std::string whole = Format(ms / 1000, "%Y%m%dT%H%M%S");
  return whole + frac;
}
int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string HumanUtcTime(int64_t s) {
  return Format(s, "%Y-%m-%d %H:%M:%S");
}
std::string Rfc3339Utc(int64_t s) {
  return Format(s, "%Y-%m-%dT%H:%M:%SZ");
}

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f%s", v, kUnits[u]);
  return buf;
}

}  // namespace stasis
