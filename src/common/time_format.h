// Time stamps as stasis shows and stores them.
#pragma once

#include <cstdint>
#include <string>

namespace stasis {

int64_t NowUnixSeconds();
// "20261124T123036Z": sorts lexically in time order.
std::string CompactUtcStamp(int64_t unix_seconds);
// "20261124T225823.123Z": names two checkpoints made in one second apart,
// and sorts in time order.
std::string CompactUtcStampMillis(int64_t unix_millis);
int64_t NowUnixMillis();
// "2026-11-24 12:30:36" (UTC), as `job list` prints it.
std::string HumanUtcTime(int64_t unix_seconds);
// "2026-11-24T12:30:36Z", as manifests store it.
std::string Rfc3339Utc(int64_t unix_seconds);
// "1.2GiB", "512B".
std::string HumanBytes(uint64_t bytes);

}  // namespace stasis
