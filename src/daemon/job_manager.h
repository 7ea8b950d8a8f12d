// JobManager: the daemon's view of managed jobs. It starts them, watches
// them end, kills and deletes them, and keeps the registry in step with
// what the processes actually do (also across daemon restarts).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/caller.h"
#include "common/job_spec.h"
#include "common/result.h"
#include "jobs/exit_watcher.h"
#include "jobs/job_record.h"
#include "jobs/registry.h"

namespace stasis::daemon {

class JobManager {
 public:
  JobManager(jobs::Registry* registry, std::string state_dir);

  // Marks jobs whose process vanished while the daemon was away as lost and
  // watches those still running.
  Status Reconcile();

  // Starts `spec.argv` as job `jid` ("" = generated). The log path is
  // chosen here: STATE/jobs/<jid>/log.
  Result<jobs::JobRecord> Run(const std::string& jid, JobSpec spec);
  Result<jobs::JobRecord> Get(const std::string& jid);
  // Get, for a caller who may act only on their own jobs (root: any):
  // PermissionDenied "job 'x' belongs to another user" otherwise.
  Result<jobs::JobRecord> GetOwned(const std::string& jid, const Caller& caller);
  Result<std::vector<jobs::JobRecord>> List();
  Result<jobs::JobRecord> Kill(const std::string& jid, int grace_ms);
  Status Delete(const std::string& jid, bool force);

  // Registers a process that was just restored (and watches it).
  Result<jobs::JobRecord> AdoptRestored(const std::string& jid, JobSpec spec, int pid);
  // Records that a dump has committed and the job's process is about to be
  // killed, so its end is reported as "dumped" rather than "exited".
  Status MarkDumped(const std::string& jid);

  // At most one dump or restore per job at a time. Returns false when busy.
  bool TryBeginOperation(const std::string& key);
  void EndOperation(const std::string& key);

  std::string LogPathFor(const std::string& jid) const;
  std::string NewJobId();
  bool IsRunning(const jobs::JobRecord& job) const;

 private:
  void WatchJob(const std::string& jid, int pid);
  void OnExit(const std::string& jid, int pid, jobs::ExitInfo info);

  jobs::Registry* registry_;
  std::string state_dir_;
  std::mutex mu_;
  // jid -> the status to record when its process ends (set by kill/dump).
  std::map<std::string, jobs::JobStatus> expected_end_;
  std::set<std::string> busy_;
  jobs::ExitWatcher watcher_;  // last: its threads call back into this object
};

// Job ids are user-visible names; keep them shell- and path-safe.
Status ValidateJobId(const std::string& jid);

}  // namespace stasis::daemon
