// Helpers shared by the local storage files. Not for use outside storage/local.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace stasis::storage {

// ".<name>.partial-<16 hex digits>": hidden, recognisable by List() and by
// anyone cleaning up after a crash, and unique without coordination.
std::string TempNameFor(std::string_view name);
bool IsTempName(std::string_view name);
// True when `temp` is a temp name TempNameFor(`name`) could have made.
bool IsTempNameFor(std::string_view temp, std::string_view name);

// The absolute path behind a "/path" or "file:///path" location.
Result<std::string> LocalPath(const std::string& location);

// Splits a normalised absolute path into its directory and last component
// ("/a/b" -> "/a", "b"; "/b" -> "/", "b"; "/" -> "/", "").
std::pair<std::string, std::string> SplitPath(const std::string& path);

// Opens `dir` for the *at() calls. NotFound "checkpoint directory /x does not
// exist", InvalidArgument "/x is not a directory", or PermissionDenied.
Result<UniqueFd> OpenDirectory(const std::string& dir);

// The Status for failing to create a file in `dir` (`what` is the file the
// user asked for): PermissionDenied "checkpoint directory /x is not
// writable: Read-only file system", ResourceExhausted for no space, ...
Status CreateError(const std::string& dir, const std::string& what, int err);

// The Status for a failed write() or fsync() of `path`: ResourceExhausted
// "no space left on device writing /x" for ENOSPC, ErrnoStatus otherwise.
Status WriteError(const std::string& path, int err);

}  // namespace stasis::storage
