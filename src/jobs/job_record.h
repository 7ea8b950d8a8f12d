// The records the registry keeps about jobs and their checkpoints.
#pragma once

#include <cstdint>
#include <string>

#include "common/job_spec.h"

namespace stasis::jobs {

enum class JobStatus {
  kRunning,
  kExited,  // ended on its own (exit_code / signal)
  kKilled,  // stopped by `job kill`
  kDumped,  // checkpointed and killed; restorable
  kLost,    // the daemon found the process gone without seeing it end
};
const char* JobStatusName(JobStatus s);
bool ParseJobStatus(const std::string& name, JobStatus* out);

struct JobRecord {
  std::string id;
  std::string type = "process";
  int pid = 0;                  // host pid of the root; 0 when not running
  uint64_t pid_start_time = 0;  // /proc/<pid>/stat field 22, guards against pid reuse
  JobStatus status = JobStatus::kRunning;
  int exit_code = 0;
  JobSpec spec;
  int64_t created = 0;  // unix seconds
};

struct CheckpointRecord {
  std::string job_id;    // "" for unmanaged `dump process`
  std::string location;  // full location of the archive or stream prefix
  int64_t created = 0;   // unix seconds
  uint64_t size = 0;     // bytes stored
  std::string compression;
  std::string kind = "plain";  // "plain" | "stream"
};

}  // namespace stasis::jobs
