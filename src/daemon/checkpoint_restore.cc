// The Checkpointer's restores: a checkpoint is read, verified and
// authenticated (checkpoint_trust.h), and for a non-root caller its task
// credentials checked, before CRIU starts anything; a failed restore
// leaves no process behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "archive/checkpoint_archive.h"
#include "common/log.h"
#include "criu/image_creds.h"
#include "daemon/checkpoint_encryption.h"
#include "daemon/checkpointer.h"
#include "daemon/checkpointer_internal.h"
#include "daemon/streamed_checkpoint.h"
#include "storage/counting.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {

namespace fs = std::filesystem;

Result<RestoreOutcome> Checkpointer::Restore(const RestoreSettings& s) {
  auto t_start = std::chrono::steady_clock::now();
  if (engine_ == nullptr)
    return Status::FailedPrecondition("CRIU was not found; run scripts/setup.sh to provision it");
  std::string jid = s.job_id;
  if (!jid.empty()) {
    RETURN_IF_ERROR(ValidateJobId(jid));
    ASSIGN_OR_RETURN(auto existing, registry_->GetJob(jid));
    if (existing.has_value() && !s.caller.is_root() && existing->spec.uid != s.caller.uid)
      return Status::PermissionDenied("job '" + jid + "' belongs to another user");
    if (existing.has_value() && jobs_->IsRunning(*existing))
      return Status::FailedPrecondition(
          "job '" + jid + "' is running (pid " + std::to_string(existing->pid) +
          "); kill it first, or restore a copy with `stasis restore process --path ...`");
  } else {
    if (s.path.empty()) return Status::InvalidArgument("restore process needs --path");
    if (!s.new_jid.empty()) {
      RETURN_IF_ERROR(ValidateJobId(s.new_jid));
      ASSIGN_OR_RETURN(auto existing, registry_->GetJob(s.new_jid));
      if (existing.has_value())
        return Status::AlreadyExists("job '" + s.new_jid + "' already exists; pick another --jid");
    }
    jid = s.new_jid.empty() ? jobs_->NewJobId() : s.new_jid;
  }
  std::string location = s.path;
  if (location.empty()) {
    ASSIGN_OR_RETURN(location, LatestLocationFor(jid, s));
  }

  std::string key = "job:" + jid;
  if (!jobs_->TryBeginOperation(key))
    return Status::FailedPrecondition("a checkpoint or restore of job '" + jid +
                                      "' is already in progress");
  OperationSlot slot(jobs_, key);

  ASSIGN_OR_RETURN(auto store, StorageFor(location, s.caller));
  const bool streamed = IsStreamedCheckpoint(store.get(), location);
  MemoryBudget::Lease memory = LeaseMemory(RestoreCostMib(*config_, streamed), s.progress);
  if (streamed) return RestoreFromStream(s, jid, location, store, t_start);
  auto reader = store->NewReader(location);
  if (!reader.ok()) {
    if (reader.status().code() == StatusCode::kNotFound)
      return Status::NotFound("no checkpoint at " + location);
    return reader.status().WithContext("cannot read " + location);
  }
  ASSIGN_OR_RETURN(std::string work_path, NewWorkDir("restore"));
  WorkDir work(work_path);
  std::string images = work.path() + "/images";
  if (::mkdir(images.c_str(), 0700) != 0) return ErrnoStatus("cannot create " + images, errno);

  // Every checksum is verified here, before anything is started.
  Progress no_display;
  Progress& progress = s.progress ? *s.progress : no_display;
  progress.SetPhase("reading " + location, (*reader)->Size());
  storage::CountingReader counted(reader->get(), &progress);
  auto extracted = archive::ExtractCheckpointArchive(counted, images);
  if (!extracted.ok())
    return extracted.status().WithContext("cannot restore " + location + " (nothing was started)");
  archive::Manifest manifest = std::move(*extracted);
  // Authentic and the caller's, or nothing starts.
  std::string warning;
  Status admitted = trust_.Admit(s.caller, trust_.Of(manifest), manifest, /*encrypted=*/false,
                                 s.trust_unsigned, location, &warning);
  if (!admitted.ok()) return admitted;
  RETURN_IF_ERROR(CheckImageCreds(s.caller, images)
                      .WithContext("cannot restore " + location + " (nothing was started)"));

  JobSpec spec = manifest.job;
  criu::RestoreOptions opts;
  opts.images_dir = images;
  opts.tcp_established = manifest.tcp_established;
  opts.shell_job = manifest.shell_job;
  opts.ext_unix_sk = manifest.ext_unix_sk;
  opts.file_locks = manifest.file_locks;
  UniqueFd log_fd;
  RETURN_IF_ERROR(HandOverJobLog(jid, manifest, &spec, &opts, &log_fd));

  progress.SetPhase("restoring with CRIU");
  auto t_criu = std::chrono::steady_clock::now();
  STASIS_LOG(Info) << "restoring " << location << " as job " << jid;
  auto pid = engine_->Restore(opts);
  if (!pid.ok()) return pid.status().WithContext("restore of " + location + " failed");
  return AdoptRestored(jid, spec, manifest, *pid, t_criu, t_start, warning);
}

Status Checkpointer::CheckStreamedImageCreds(const Caller& caller,
                                             const std::shared_ptr<storage::Storage>& store,
                                             const std::string& location,
                                             const stream::StreamManifest& manifest,
                                             const stream::ChunkCipher* cipher) {
  if (caller.is_root()) return Status::OK();
  ASSIGN_OR_RETURN(auto tasks, ReadStreamedImageCreds(store, location, manifest, cipher));
  return criu::CheckImagesRunAs(tasks, caller.uid, caller.gid,
                                {caller.groups.begin(), caller.groups.end()});
}

Status Checkpointer::CheckStreamedFrozenCreds(const Caller& caller,
                                              const std::shared_ptr<storage::Storage>& store,
                                              const std::string& location) {
  ASSIGN_OR_RETURN(stream::StreamManifest m, stream::ReadStreamManifest(store.get(), location));
  ASSIGN_OR_RETURN(auto cipher, CipherToRestore(*config_, m));
  return CheckStreamedImageCreds(caller, store, location, m, cipher ? &*cipher : nullptr);
}

Status Checkpointer::CheckImageCreds(const Caller& caller, const std::string& images_dir) {
  if (caller.is_root()) return Status::OK();
  ASSIGN_OR_RETURN(auto tasks, criu::ReadImageCreds(images_dir));
  return criu::CheckImagesRunAs(tasks, caller.uid, caller.gid,
                                {caller.groups.begin(), caller.groups.end()});
}

Result<RestoreOutcome> Checkpointer::AdoptRestored(const std::string& jid, const JobSpec& spec,
                                                   const archive::Manifest& manifest, int pid,
                                                   std::chrono::steady_clock::time_point t_criu,
                                                   std::chrono::steady_clock::time_point t_start,
                                                   const std::string& unauthenticated) {
  RestoreOutcome out;
  out.unauthenticated = unauthenticated;
  JobSpec owned = spec;
  if (!unauthenticated.empty()) {
    STASIS_LOG(Warn) << unauthenticated;
    // An unauthenticated manifest may name anyone as the owner; the job is
    // root's, who chose to restore it.
    owned.uid = 0;
    owned.gid = 0;
    owned.groups.clear();
  }
  out.criu_seconds = SecondsSince(t_criu);
  ASSIGN_OR_RETURN(out.job, jobs_->AdoptRestored(jid, owned, pid));
  if (out.job.type.empty()) out.job.type = manifest.job_type;
  out.total_seconds = SecondsSince(t_start);
  STASIS_LOG(Info) << "job " << jid << " restored as pid " << pid << " in " << out.total_seconds
                   << " s";
  return out;
}

Status Checkpointer::HandOverJobLog(const std::string& jid, const archive::Manifest& manifest,
                                    JobSpec* spec, criu::RestoreOptions* opts, UniqueFd* log_fd) {
  if (manifest.job.log_path.empty()) return Status::OK();
  // The job's stdout/stderr pointed at its log. CRIU would reopen that
  // path and insist on its old size; instead hand it this job's log,
  // matched by the original path (CRIU's key: the path without '/').
  spec->log_path = jobs_->LogPathFor(jid);
  std::error_code ec;
  fs::create_directories(fs::path(spec->log_path).parent_path(), ec);
  ::chmod(fs::path(spec->log_path).parent_path().c_str(), 0700);
  log_fd->Reset(::open(spec->log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!log_fd->valid()) return ErrnoStatus("cannot open the job log " + spec->log_path, errno);
  std::string key = manifest.job.log_path;
  while (!key.empty() && key[0] == '/') key.erase(0, 1);
  opts->inherit_fds.push_back({log_fd->get(), key});
  return Status::OK();
}

Result<RestoreOutcome> Checkpointer::RestoreFromStream(
    const RestoreSettings& s, const std::string& jid, const std::string& location,
    const std::shared_ptr<storage::Storage>& store, std::chrono::steady_clock::time_point t_start) {
  // The manifest first: the job's log must be set up before CRIU starts.
  auto streamed = stream::ReadStreamManifest(store.get(), location);
  if (!streamed.ok())
    return streamed.status().WithContext("cannot restore " + location + " (nothing was started)");
  const archive::Manifest manifest = streamed->checkpoint;
  auto cipher = CipherToRestore(*config_, *streamed);
  if (!cipher.ok())
    return cipher.status().WithContext("cannot restore " + location + " (nothing was started)");
  const stream::ChunkCipher* opener = cipher->has_value() ? &**cipher : nullptr;
  std::string warning;
  RETURN_IF_ERROR(trust_.Admit(s.caller, trust_.Of(*streamed), manifest, opener != nullptr,
                               s.trust_unsigned, location, &warning));
  Status creds = CheckStreamedImageCreds(s.caller, store, location, *streamed, opener);
  if (!creds.ok())
    return creds.WithContext("cannot restore " + location + " (nothing was started)");
  ASSIGN_OR_RETURN(std::string work_path, NewWorkDir("restore"));
  WorkDir work(work_path);
  std::string images = work.path() + "/images";
  if (::mkdir(images.c_str(), 0700) != 0) return ErrnoStatus("cannot create " + images, errno);

  JobSpec spec = manifest.job;
  criu::RestoreOptions opts;
  opts.images_dir = images;
  UniqueFd log_fd;
  RETURN_IF_ERROR(HandOverJobLog(jid, manifest, &spec, &opts, &log_fd));
  Progress no_display;
  Progress* progress = s.progress ? s.progress : &no_display;
  auto t_criu = std::chrono::steady_clock::now();
  STASIS_LOG(Info) << "restoring streamed " << location << " as job " << jid;
  auto pid =
      RestoreStreamed(engine_, opts, store, location, std::move(*streamed), progress, opener);
  if (!pid.ok()) return pid.status().WithContext("restore of " + location + " failed");
  return AdoptRestored(jid, spec, manifest, *pid, t_criu, t_start, warning);
}

}  // namespace stasis::daemon
