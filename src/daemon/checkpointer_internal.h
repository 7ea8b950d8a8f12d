// What the Checkpointer's files (checkpointer.cc: dumps; checkpoint_restore.cc:
// restores) share: timing, the memory each operation leases, and the scope
// guards for work directories and per-job operation slots.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "daemon/job_manager.h"

namespace stasis::daemon {

inline double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// What one operation is expected to hold in buffers (MiB), leased from the
// memory budget before it starts. A dump writes through one storage writer
// per shard: the part it fills and a spare, plus compression state. A plain
// restore has `concurrency` ranged reads of a part in flight; a streamed one
// reads six 4 MiB chunks ahead for each image CRIU has open (two at most),
// and decompresses them.
inline int64_t DumpCostMib(const config::Config& c, int shards) {
  const int64_t per_writer = 2 * int64_t{c.aws.part_size_mib} + 20;
  return shards > 0 ? shards * per_writer : per_writer;
}
inline int64_t RestoreCostMib(const config::Config& c, bool streamed) {
  return streamed ? 2 * 6 * 4 + 16 : (c.aws.concurrency + 1) * int64_t{c.aws.part_size_mib} + 16;
}

// Removes a work directory when it goes out of scope.
class WorkDir {
 public:
  explicit WorkDir(std::string path) : path_(std::move(path)) {}
  ~WorkDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Releases a per-job operation slot when it goes out of scope.
class OperationSlot {
 public:
  OperationSlot(JobManager* jobs, std::string key) : jobs_(jobs), key_(std::move(key)) {}
  ~OperationSlot() { jobs_->EndOperation(key_); }
  OperationSlot(const OperationSlot&) = delete;
  OperationSlot& operator=(const OperationSlot&) = delete;

 private:
  JobManager* jobs_;
  std::string key_;
};

}  // namespace stasis::daemon
