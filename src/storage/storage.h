// The storage interface: every place a checkpoint can live (a local
// directory, file://, s3://) is reached through it. Locations are full URIs
// or absolute paths; the scheme picks the backend (see storage_registry.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace stasis::storage {

// A streaming writer for one object. Nothing is visible at the target
// location until Commit() returns OK. If the writer is destroyed without a
// successful Commit(), it aborts: partial data is removed.
class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  virtual ~Writer() = default;

  // Appends bytes. Not thread-safe. After an error, the only valid calls are
  // Abort() or destruction.
  virtual Status Append(const void* data, size_t size) = 0;
  // Makes the object durable and visible (local: fsync, rename, fsync dir).
  virtual Status Commit() = 0;
  // Discards everything written. Safe to call more than once and after errors.
  virtual void Abort() noexcept = 0;
  // Bytes appended so far.
  virtual uint64_t BytesWritten() const = 0;
  // Bytes the storage has acknowledged (S3: parts the server confirmed); it
  // trails BytesWritten() by what is still buffered or on the wire, so a
  // progress display can say what has really arrived. Unlike the other
  // calls it may be made from any thread while another appends. 0 when the
  // storage cannot tell.
  virtual uint64_t BytesStored() const { return 0; }
};

// A streaming reader for one object.
class Reader {
 public:
  Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  virtual ~Reader() = default;

  // Reads up to `size` bytes; returns 0 at end of object.
  virtual Result<size_t> Read(void* buf, size_t size) = 0;
  // Total object size in bytes.
  virtual uint64_t Size() const = 0;
};

struct ObjectInfo {
  std::string location;  // full location, usable with NewReader()/Remove()
  std::string name;      // last path component
  uint64_t size = 0;
  int64_t mtime = 0;    // unix seconds
  bool is_dir = false;  // a directory or an S3 common prefix
};

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // REQUIRES: the parent "directory" of `location` exists (local) or the
  // bucket exists (S3). Fails with NotFound/PermissionDenied otherwise.
  virtual Result<std::unique_ptr<Writer>> NewWriter(const std::string& location) = 0;
  virtual Result<std::unique_ptr<Reader>> NewReader(const std::string& location) = 0;
  // Exactly `size` bytes at `offset` into `out` (resized; its capacity is
  // reused). A short object is Corruption: the caller's index promised more.
  virtual Status ReadRange(const std::string& location, uint64_t offset, size_t size,
                           std::string* out) = 0;
  // The immediate children of a directory/prefix. NotFound if it does not exist.
  virtual Result<std::vector<ObjectInfo>> List(const std::string& dir) = 0;
  virtual Result<ObjectInfo> Stat(const std::string& location) = 0;
  // Removes one object (or an empty directory). NotFound if absent.
  virtual Status Remove(const std::string& location) = 0;
  // OK when objects can be created under `dir` (used by health and up front
  // by dump, so a dump fails before the process is frozen).
  virtual Status CheckWritable(const std::string& dir) = 0;
  // Removes what writers that never committed left at `location` or under
  // it (a prefix): local temp files, open S3 multipart uploads. Committed
  // objects stay. For recovery after the daemon died in the middle of a
  // dump; OK when there is nothing to remove.
  virtual Status RemoveIncomplete(const std::string& location) = 0;
};

}  // namespace stasis::storage
