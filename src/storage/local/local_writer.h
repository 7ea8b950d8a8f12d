// The local storage writer: a temp file beside the target, made durable and
// renamed into place by Commit().
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "storage/storage.h"

namespace stasis::storage {

class LocalWriter final : public Writer {
 public:
  // REQUIRES: `path` is absolute and normalised. Fails if its directory is
  // missing or not writable, or if `path` already exists.
  static Result<std::unique_ptr<Writer>> Open(const std::string& path);

  ~LocalWriter() override;

  Status Append(const void* data, size_t size) override;
  Status Commit() override;
  void Abort() noexcept override;
  uint64_t BytesWritten() const override { return bytes_written_.load(); }
  // What write(2) took: the kernel has it, and Commit() makes it durable.
  uint64_t BytesStored() const override { return bytes_written_.load(); }

 private:
  LocalWriter(std::string path, std::string dir, std::string name, std::string temp_name,
              UniqueFd dir_fd, UniqueFd fd);

  // Fails with FailedPrecondition unless Append()/Commit() may still be called.
  Status CheckOpen() const;
  // Abort() after an error, so that a full disk is given its space back at
  // once rather than when the caller gets round to cleaning up.
  Status FailWith(Status status);

  const std::string path_;  // the target, for messages
  const std::string dir_;
  const std::string name_;       // the target's name in dir_fd_
  const std::string temp_name_;  // the temp file's name in dir_fd_
  // Held open so that Commit() renames and syncs in the directory the temp
  // file was made in, even if the path is renamed meanwhile.
  UniqueFd dir_fd_;
  UniqueFd fd_;
  std::atomic<uint64_t> bytes_written_{0};  // read by BytesStored() from other threads
  bool committed_ = false;
  bool aborted_ = false;
};

}  // namespace stasis::storage
