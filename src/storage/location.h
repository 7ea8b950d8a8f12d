// Parsing and joining storage locations: "/abs/path", "file:///abs/path",
// "s3://bucket/prefix".
#pragma once

#include <string>

#include "common/result.h"

namespace stasis::storage {

struct Location {
  std::string scheme;  // "file" or "s3"
  std::string bucket;  // s3 only
  std::string path;    // file: absolute path; s3: key or prefix (no leading '/')
  std::string ToString() const;
};

// Fails with InvalidArgument and a sentence that says what is wrong
// (relative path, unknown scheme, empty bucket, ...).
Result<Location> ParseLocation(const std::string& uri);

// Joins a directory location and a child name with exactly one '/'.
std::string JoinLocation(const std::string& dir, const std::string& name);

}  // namespace stasis::storage
