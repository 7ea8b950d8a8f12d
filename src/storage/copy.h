// Copies one object between any two storages (local <-> S3, S3 <-> S3),
// streaming: neither side holds the whole object.
#pragma once

#include <cstdint>
#include <string>

#include "common/progress.h"
#include "common/result.h"

namespace stasis::storage {

// Copies `from` to `to` (a full object location). Nothing appears at `to`
// unless every byte arrived; AlreadyExists when `to` exists. Returns the
// number of bytes copied. `progress`, when given, counts the bytes.
Result<uint64_t> CopyObject(const std::string& from, const std::string& to,
                            Progress* progress = nullptr);

}  // namespace stasis::storage
