// Parsing and joining storage locations: "/abs/path", "file:///abs/path",
// "s3://bucket/prefix".
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace stasis::storage {

struct Location {
  std::string scheme;  // "file" or "s3"
  std::string bucket;  // s3 only
  std::string path;    // file: absolute path; s3: key or prefix (no leading '/')

  // The canonical text: "/abs/path" for files (not file://), and
  // "s3://bucket/prefix" or "s3://bucket".
  std::string ToString() const;
};

// Accepts "/abs/path", "file:///abs/path" and "s3://bucket[/prefix]";
// the scheme is case-insensitive. Paths and keys are normalised: runs of
// '/' become one, and trailing '/' go (so a directory and its prefix read
// the same); an S3 key loses its leading '/'. Bucket names are checked
// loosely (3 to 63 lowercase letters, digits, '.', '-'; S3 has the final
// word). Fails with InvalidArgument and one sentence that says what is
// wrong (relative path, unknown scheme, missing or malformed bucket, ...).
Result<Location> ParseLocation(const std::string& uri);

// Joins a directory location and a child name with exactly one '/'. Works
// on the text only (no validation), keeping the directory's form: "/a" ->
// "/a/x", "file:///a/" -> "file:///a/x", "s3://b" -> "s3://b/x".
std::string JoinLocation(const std::string& dir, const std::string& name);

// True for an S3 Express One Zone directory bucket ("name--azid--x-s3"),
// which needs the zonal endpoint and session credentials.
bool IsDirectoryBucket(std::string_view bucket);

}  // namespace stasis::storage
