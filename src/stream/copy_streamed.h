// Copies a streamed checkpoint between storages: every shard, then the
// manifest last, so the copy becomes a checkpoint only once it is whole.
#pragma once

#include <cstdint>
#include <string>

#include "common/progress.h"
#include "common/result.h"

namespace stasis::stream {

// True when `location` holds a manifest.json (a streamed checkpoint).
bool IsStreamedLocation(const std::string& location);

// Copies the prefix `from` to the prefix `to`; returns the bytes copied. On
// failure the copy's manifest is never written.
Result<uint64_t> CopyStreamedCheckpoint(const std::string& from, const std::string& to,
                                        Progress* progress);

}  // namespace stasis::stream
