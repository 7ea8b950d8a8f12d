#include "jobs/job_record.h"

namespace stasis::jobs {

namespace {
struct Name {
  JobStatus status;
  const char* name;
};
constexpr Name kNames[] = {
    {JobStatus::kRunning, "running"}, {JobStatus::kExited, "exited"},
    {JobStatus::kKilled, "killed"},   {JobStatus::kDumped, "dumped"},
    {JobStatus::kLost, "lost"},
};
}  // namespace

const char* JobStatusName(JobStatus s) {
  for (const Name& n : kNames)
    if (n.status == s) return n.name;
  return "unknown";
}

bool ParseJobStatus(const std::string& name, JobStatus* out) {
  for (const Name& n : kNames) {
    if (name == n.name) {
      *out = n.status;
      return true;
    }
  }
  return false;
}

}  // namespace stasis::jobs
