// Storage on a local filesystem, for "/abs/path" and "file:///abs/path".
// Objects are files and "directories" are directories. Writers create a
// hidden temp file beside the target (".<name>.partial-<random>", mode
// 0600, since checkpoints hold process memory), and Commit() makes it
// durable and visible: fsync the file, rename it into place without
// replacing anything, fsync the directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/storage.h"

namespace stasis::storage {

// Stateless, so thread-safe: any number of threads may share one instance.
class LocalStorage final : public Storage {
 public:
  LocalStorage() = default;

  // NotFound "checkpoint directory /x does not exist", PermissionDenied
  // "checkpoint directory /x is not writable: ...", AlreadyExists when the
  // target exists (checked here and again, atomically, by Commit()).
  Result<std::unique_ptr<Writer>> NewWriter(const std::string& location) override;
  Result<std::unique_ptr<Reader>> NewReader(const std::string& location) override;
  Status ReadRange(const std::string& location, uint64_t offset, size_t size,
                   std::string* out) override;
  // Sorted by name; writers' temp files are not listed.
  Result<std::vector<ObjectInfo>> List(const std::string& dir) override;
  Result<ObjectInfo> Stat(const std::string& location) override;
  // A file, or an empty directory (FailedPrecondition if not empty).
  Status Remove(const std::string& location) override;
  Status RemoveIncomplete(const std::string& location) override;
  // Creates and removes a probe temp file in `dir`.
  Status CheckWritable(const std::string& dir) override;
};

}  // namespace stasis::storage
