// The registry: job and checkpoint records in SQLite (WAL mode), so they
// survive daemon restarts. Thread-safe: one connection guarded by a mutex.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "jobs/job_record.h"

namespace stasis::jobs {

class Registry {
 public:
  // Opens or creates the database at `path` (parent directories created 0700).
  static Result<std::unique_ptr<Registry>> Open(const std::string& path);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Insert or replace by id.
  Status PutJob(const JobRecord& job);
  Result<std::optional<JobRecord>> GetJob(const std::string& id);
  // Oldest first.
  Result<std::vector<JobRecord>> ListJobs();
  // Removes the job and its checkpoint records (not the checkpoints).
  Status DeleteJob(const std::string& id);

  Status AddCheckpoint(const CheckpointRecord& cp);
  // Newest first. job_id "" lists every checkpoint record.
  Result<std::vector<CheckpointRecord>> ListCheckpoints(const std::string& job_id);
  Result<std::optional<CheckpointRecord>> LatestCheckpoint(const std::string& job_id);
  Status RemoveCheckpoint(const std::string& location);

 private:
  struct Impl;
  explicit Registry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stasis::jobs
