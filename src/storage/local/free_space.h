// Free space on the filesystem behind a local directory, for health checks.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace stasis::storage {

// Bytes an unprivileged writer may still use under `dir` (a path or a
// file:// URI). InvalidArgument for non-local locations.
Result<uint64_t> FreeBytes(const std::string& dir);

}  // namespace stasis::storage
