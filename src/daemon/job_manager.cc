#include "daemon/job_manager.h"

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "common/log.h"
#include "common/time_format.h"
#include "jobs/process_tree.h"
#include "jobs/spawn.h"

namespace stasis::daemon {

namespace fs = std::filesystem;
using jobs::JobRecord;
using jobs::JobStatus;

Status ValidateJobId(const std::string& jid) {
  if (jid.empty() || jid.size() > 64)
    return Status::InvalidArgument("a job id must be 1 to 64 characters long");
  for (char c : jid) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return Status::InvalidArgument("job id '" + jid +
                                     "' may only use letters, digits, '-', '_' and '.'");
  }
  if (jid[0] == '.' || jid[0] == '-')
    return Status::InvalidArgument("job id '" + jid + "' must start with a letter or digit");
  return Status::OK();
}

JobManager::JobManager(jobs::Registry* registry, std::string state_dir)
    : registry_(registry), state_dir_(std::move(state_dir)) {}

std::string JobManager::LogPathFor(const std::string& jid) const {
  return state_dir_ + "/jobs/" + jid + "/log";
}

std::string JobManager::NewJobId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "job-%06llx", static_cast<unsigned long long>(rng() & 0xffffff));
    auto existing = registry_->GetJob(buf);
    if (existing.ok() && !existing->has_value()) return buf;
  }
}

bool JobManager::IsRunning(const JobRecord& job) const {
  return job.status == JobStatus::kRunning && job.pid > 0 &&
         jobs::ProcessAlive(job.pid, job.pid_start_time);
}

Status JobManager::Reconcile() {
  ASSIGN_OR_RETURN(auto all, registry_->ListJobs());
  for (auto& job : all) {
    if (job.status != JobStatus::kRunning) continue;
    if (IsRunning(job)) {
      STASIS_LOG(Info) << "job " << job.id << " still running as pid " << job.pid;
      WatchJob(job.id, job.pid);
    } else {
      STASIS_LOG(Warn) << "job " << job.id << " (pid " << job.pid
                       << ") ended while the daemon was away";
      job.status = JobStatus::kLost;
      job.pid = 0;
      RETURN_IF_ERROR(registry_->PutJob(job));
    }
  }
  return Status::OK();
}

Result<JobRecord> JobManager::Run(const std::string& requested, JobSpec spec) {
  if (spec.argv.empty())
    return Status::InvalidArgument("no command given to run (use -- CMD ARGS)");
  std::string jid = requested.empty() ? NewJobId() : requested;
  RETURN_IF_ERROR(ValidateJobId(jid));
  {
    ASSIGN_OR_RETURN(auto existing, registry_->GetJob(jid));
    if (existing.has_value())
      return Status::AlreadyExists("job '" + jid + "' already exists; pick another --jid or " +
                                   "delete it with `stasis job delete " + jid + "`");
  }
  spec.log_path = LogPathFor(jid);
  // A PID namespace of its own, so a restore never collides with a PID that
  // is still taken. Not yet for non-root jobs: CRIU's parasite needs a /proc
  // of the task's PID namespace, and only root's tasks may mount one
  // themselves; until jobs get their own /proc, a member's job shares the
  // host's PIDs (and is restored only where its PIDs are free).
  spec.pid_namespace = spec.uid == 0;
  std::error_code ec;
  fs::create_directories(fs::path(spec.log_path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the job's log directory: " + ec.message());
  ::chmod(fs::path(spec.log_path).parent_path().c_str(), 0700);

  ASSIGN_OR_RETURN(int pid, jobs::SpawnJob(spec));
  JobRecord job;
  job.id = jid;
  job.pid = pid;
  auto start = jobs::ProcessStartTime(pid);
  job.pid_start_time = start.ok() ? *start : 0;
  job.status = JobStatus::kRunning;
  job.spec = std::move(spec);
  job.created = NowUnixSeconds();
  Status st = registry_->PutJob(job);
  if (!st.ok()) {
    jobs::TerminateTree(pid, 0).ok();
    return st;
  }
  STASIS_LOG(Info) << "job " << jid << " started as pid " << pid;
  WatchJob(jid, pid);
  return job;
}

Result<JobRecord> JobManager::Get(const std::string& jid) {
  ASSIGN_OR_RETURN(auto job, registry_->GetJob(jid));
  if (!job.has_value()) return Status::NotFound("no job with id '" + jid + "'");
  return *job;
}

Result<JobRecord> JobManager::GetOwned(const std::string& jid, const Caller& caller) {
  ASSIGN_OR_RETURN(JobRecord job, Get(jid));
  if (!caller.is_root() && job.spec.uid != caller.uid)
    return Status::PermissionDenied("job '" + jid + "' belongs to another user");
  return job;
}

Result<std::vector<JobRecord>> JobManager::List() {
  return registry_->ListJobs();
}

Result<JobRecord> JobManager::Kill(const std::string& jid, int grace_ms) {
  ASSIGN_OR_RETURN(JobRecord job, Get(jid));
  if (!IsRunning(job))
    return Status::FailedPrecondition("job '" + jid + "' is not running (status " +
                                      jobs::JobStatusName(job.status) + ")");
  {
    std::lock_guard lock(mu_);
    expected_end_[jid] = JobStatus::kKilled;
  }
  RETURN_IF_ERROR(jobs::TerminateTree(job.pid, grace_ms));
  job.status = JobStatus::kKilled;
  job.pid = 0;
  RETURN_IF_ERROR(registry_->PutJob(job));
  return job;
}

Status JobManager::Delete(const std::string& jid, bool force) {
  ASSIGN_OR_RETURN(JobRecord job, Get(jid));
  if (IsRunning(job)) {
    if (!force)
      return Status::FailedPrecondition("job '" + jid + "' is running; kill it first " +
                                        "(`stasis job kill " + jid + "`) or use --force");
    auto killed = Kill(jid, 2000);
    if (!killed.ok()) return killed.status();
  }
  return registry_->DeleteJob(jid);
}

Result<JobRecord> JobManager::AdoptRestored(const std::string& jid, JobSpec spec, int pid) {
  JobRecord job;
  auto existing = registry_->GetJob(jid);
  if (existing.ok() && existing->has_value()) job = **existing;
  job.id = jid;
  job.pid = pid;
  auto start = jobs::ProcessStartTime(pid);
  job.pid_start_time = start.ok() ? *start : 0;
  job.status = JobStatus::kRunning;
  job.exit_code = 0;
  job.spec = std::move(spec);
  if (job.created == 0) job.created = NowUnixSeconds();
  {
    std::lock_guard lock(mu_);
    expected_end_.erase(jid);
  }
  RETURN_IF_ERROR(registry_->PutJob(job));
  WatchJob(jid, pid);
  return job;
}

Status JobManager::MarkDumped(const std::string& jid) {
  ASSIGN_OR_RETURN(JobRecord job, Get(jid));
  {
    std::lock_guard lock(mu_);
    expected_end_[jid] = JobStatus::kDumped;
  }
  job.status = JobStatus::kDumped;
  job.pid = 0;
  return registry_->PutJob(job);
}

bool JobManager::TryBeginOperation(const std::string& key) {
  std::lock_guard lock(mu_);
  return busy_.insert(key).second;
}

void JobManager::EndOperation(const std::string& key) {
  std::lock_guard lock(mu_);
  busy_.erase(key);
}

void JobManager::WatchJob(const std::string& jid, int pid) {
  bool ok = watcher_.Watch(pid, [this, jid](int p, jobs::ExitInfo info) { OnExit(jid, p, info); });
  if (!ok) STASIS_LOG(Warn) << "cannot watch job " << jid << " (pid " << pid << ")";
}

void JobManager::OnExit(const std::string& jid, int pid, jobs::ExitInfo info) {
  JobStatus end = JobStatus::kExited;
  {
    std::lock_guard lock(mu_);
    auto it = expected_end_.find(jid);
    if (it != expected_end_.end()) {
      end = it->second;
      expected_end_.erase(it);
    }
  }
  auto rec = registry_->GetJob(jid);
  if (!rec.ok() || !rec->has_value()) return;
  JobRecord job = **rec;
  // A newer incarnation (a restore) may already own the record.
  if (job.pid != pid && job.pid != 0) return;
  if (job.status == JobStatus::kRunning || job.pid == pid) {
    job.status = end;
    if (end == JobStatus::kExited) {
      job.exit_code = info.signal ? 128 + info.signal : info.exit_code;
    }
    job.pid = 0;
    Status st = registry_->PutJob(job);
    if (!st.ok())
      STASIS_LOG(Error) << "cannot record the end of job " << jid << ": " << st.message();
  }
  STASIS_LOG(Info) << "job " << jid << " (pid " << pid
                   << ") ended: " << jobs::JobStatusName(job.status);
}

}  // namespace stasis::daemon
