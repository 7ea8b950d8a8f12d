#include "daemon/service.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/caller_identity.h"
#include "daemon/health.h"
#include "daemon/status_mark.h"
#include "jobs/process_tree.h"

namespace stasis::daemon {

namespace {

// A dump or restore moves its data through hundreds of MiB of buffers on
// many threads; glibc keeps what they freed in per-thread arenas. A daemon
// that waits for the next job should not hold that: give it back.
void ReturnFreedMemory() {
  ::malloc_trim(0);
}

grpc::Status ToGrpc(const Status& st) {
  using grpc::StatusCode;
  if (st.ok()) return grpc::Status::OK;
  StatusCode code = StatusCode::UNKNOWN;
  switch (st.code()) {
    case stasis::StatusCode::kOk:
      code = StatusCode::OK;
      break;
    case stasis::StatusCode::kInvalidArgument:
      code = StatusCode::INVALID_ARGUMENT;
      break;
    case stasis::StatusCode::kNotFound:
      code = StatusCode::NOT_FOUND;
      break;
    case stasis::StatusCode::kAlreadyExists:
      code = StatusCode::ALREADY_EXISTS;
      break;
    case stasis::StatusCode::kFailedPrecondition:
      code = StatusCode::FAILED_PRECONDITION;
      break;
    case stasis::StatusCode::kPermissionDenied:
      code = StatusCode::PERMISSION_DENIED;
      break;
    case stasis::StatusCode::kUnavailable:
      code = StatusCode::UNAVAILABLE;
      break;
    case stasis::StatusCode::kCorruption:
      code = StatusCode::DATA_LOSS;
      break;
    case stasis::StatusCode::kIOError:
      code = StatusCode::INTERNAL;
      break;
    case stasis::StatusCode::kResourceExhausted:
      code = StatusCode::RESOURCE_EXHAUSTED;
      break;
    case stasis::StatusCode::kUnimplemented:
      code = StatusCode::UNIMPLEMENTED;
      break;
    case stasis::StatusCode::kInternal:
      code = StatusCode::INTERNAL;
      break;
  }
  // The details mark the status as the daemon's own, so the CLI can tell a
  // storage being unavailable from the daemon connection being lost.
  return grpc::Status(code, st.message(), kDaemonStatusMark);
}

// Module code reports failures as Status, but a library or container can
// still throw. gRPC would answer "Unexpected error in RPC handling", which
// tells neither the user nor us what failed; say which request and why,
// and keep it in the daemon log.
template <typename Body>
grpc::Status Guarded(const char* request, Body body) {
  std::string why;
  try {
    return body();
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "an unknown exception";
  }
  STASIS_LOG(Error) << request << ": internal error: " << why;
  return ToGrpc(Status::Internal(std::string("the daemon hit an internal error during ") + request +
                                 " (" + why + "); see the daemon log"));
}

void FillSpec(const JobSpec& in, v1::JobSpec* out) {
  for (const auto& a : in.argv) out->add_argv(a);
  out->set_cwd(in.cwd);
  out->set_log_path(in.log_path);
  out->set_pid_namespace(in.pid_namespace);
  out->set_uid(in.uid);
  // The environment stays in the daemon: it may hold secrets.
}

// A job runs as whoever asked for it, with the environment they sent.
JobSpec SpecFrom(const v1::JobSpec& in, const Caller& caller) {
  JobSpec spec;
  spec.argv.assign(in.argv().begin(), in.argv().end());
  spec.cwd = in.cwd();
  spec.env.assign(in.env().begin(), in.env().end());
  spec.uid = caller.uid;
  spec.gid = caller.gid;
  spec.groups.assign(caller.groups.begin(), caller.groups.end());
  return spec;
}

void FillCheckpoint(const CheckpointSummary& c, v1::Checkpoint* out) {
  out->set_job_id(c.record.job_id);
  out->set_location(c.record.location);
  out->set_created(c.record.created);
  out->set_size(c.record.size);
  out->set_compression(c.record.compression);
  out->set_kind(c.record.kind);
  out->set_pid(c.header.pid);
  out->set_criu_version(c.header.criu_version);
  out->set_kernel(c.header.kernel);
  out->set_host(c.header.host);
  out->set_image_bytes(c.header.total_bytes);
  out->set_job_type(c.header.job_type);
  out->set_authenticity(c.authenticity);
  for (const auto& f : c.header.files) out->add_files(f.name);
  FillSpec(c.header.job, out->mutable_job());
}

}  // namespace

DaemonService::DaemonService(const config::Config* config, criu::Engine* engine, JobManager* jobs,
                             Checkpointer* checkpointer, jobs::Registry* registry)
    : config_(config),
      engine_(engine),
      jobs_(jobs),
      checkpointer_(checkpointer),
      registry_(registry) {}

Status DaemonService::FillJob(const jobs::JobRecord& r, v1::Job* out) {
  out->set_id(r.id);
  out->set_type(r.type);
  bool running = jobs_->IsRunning(r);
  out->set_pid(running ? r.pid : 0);
  std::string status = jobs::JobStatusName(r.status);
  if (r.status == jobs::JobStatus::kRunning && !running) status = "lost";
  out->set_status(status);
  out->set_exit_code(r.exit_code);
  out->set_created(r.created);
  FillSpec(r.spec, out->mutable_spec());
  ASSIGN_OR_RETURN(auto latest, registry_->LatestCheckpoint(r.id));
  if (latest.has_value()) {
    CheckpointSummary c;
    c.record = *latest;
    FillCheckpoint(c, out->mutable_last_checkpoint());
  }
  return Status::OK();
}

grpc::Status DaemonService::Run(grpc::ServerContext* ctx, const v1::RunRequest* req, v1::Job* out) {
  return Guarded("run", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto job = jobs_->Run(req->jid(), SpecFrom(req->spec(), *caller));
    if (!job.ok()) return ToGrpc(job.status());
    return ToGrpc(FillJob(*job, out));
  });
}

grpc::Status DaemonService::ListJobs(grpc::ServerContext* ctx, const v1::ListJobsRequest*,
                                     v1::JobList* out) {
  return Guarded("job list", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto all = jobs_->List();
    if (!all.ok()) return ToGrpc(all.status());
    for (const auto& j : *all) {
      if (!caller->is_root() && j.spec.uid != caller->uid) continue;  // only their own
      Status st = FillJob(j, out->add_jobs());
      if (!st.ok()) return ToGrpc(st);
    }
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::InspectJob(grpc::ServerContext* ctx, const v1::JobRef* req,
                                       v1::Job* out) {
  return Guarded("job inspect", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto job = jobs_->GetOwned(req->id(), *caller);
    if (!job.ok()) return ToGrpc(job.status());
    return ToGrpc(FillJob(*job, out));
  });
}

grpc::Status DaemonService::KillJob(grpc::ServerContext* ctx, const v1::KillJobRequest* req,
                                    v1::Job* out) {
  return Guarded("job kill", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto owned = jobs_->GetOwned(req->id(), *caller);
    if (!owned.ok()) return ToGrpc(owned.status());
    auto job = jobs_->Kill(req->id(), req->grace_ms() > 0 ? req->grace_ms() : 5000);
    if (!job.ok()) return ToGrpc(job.status());
    return ToGrpc(FillJob(*job, out));
  });
}

grpc::Status DaemonService::DeleteJob(grpc::ServerContext* ctx, const v1::DeleteJobRequest* req,
                                      v1::Empty*) {
  return Guarded("job delete", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto owned = jobs_->GetOwned(req->id(), *caller);
    if (!owned.ok()) return ToGrpc(owned.status());
    return ToGrpc(jobs_->Delete(req->id(), req->force()));
  });
}

grpc::Status DaemonService::Attach(grpc::ServerContext* ctx, const v1::AttachRequest* req,
                                   grpc::ServerWriter<v1::LogChunk>* writer) {
  return Guarded("job attach", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto job = jobs_->GetOwned(req->id(), *caller);
    if (!job.ok()) return ToGrpc(job.status());
    const std::string& log_path = job->spec.log_path;
    if (log_path.empty())
      return ToGrpc(Status::FailedPrecondition("job '" + req->id() +
                                               "' was not started by stasis and has no log"));
    UniqueFd fd(::open(log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ToGrpc(ErrnoStatus("cannot open the log of job " + req->id(), errno));
    if (req->from_offset() < 0)
      ::lseek(fd.get(), 0, SEEK_END);
    else
      ::lseek(fd.get(), req->from_offset(), SEEK_SET);
    std::string buf(64 * 1024, '\0');
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n > 0) {
        v1::LogChunk chunk;
        chunk.set_data(buf.data(), static_cast<size_t>(n));
        if (!writer->Write(chunk)) return grpc::Status::OK;  // the client went away
        continue;
      }
      if (ctx->IsCancelled()) return grpc::Status::OK;
      auto now = jobs_->Get(req->id());
      bool running = now.ok() && jobs_->IsRunning(*now);
      if (!running || !req->follow()) {
        // Drain what the job wrote just before it ended.
        while ((n = ::read(fd.get(), buf.data(), buf.size())) > 0) {
          v1::LogChunk chunk;
          chunk.set_data(buf.data(), static_cast<size_t>(n));
          if (!writer->Write(chunk)) return grpc::Status::OK;
        }
        if (!running) {
          v1::LogChunk end;
          end.set_job_ended(true);
          if (now.ok()) {
            end.set_status(jobs::JobStatusName(now->status));
            end.set_exit_code(now->exit_code);
          }
          writer->Write(end);
        }
        return grpc::Status::OK;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

grpc::Status DaemonService::Dump(grpc::ServerContext* ctx, const v1::DumpRequest* req,
                                 v1::DumpReply* out) {
  return Guarded("dump", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    // The context's cancellation is ignored on purpose: a dump that has frozen
    // a process finishes (or rolls back) even if the CLI goes away.
    DumpTarget target;
    if (req->has_pid())
      target.pid = req->pid();
    else
      target.job_id = req->job_id();
    DumpSettings s;
    const auto& o = req->options();
    s.dir = o.dir();
    s.compression = o.compression();
    s.name = o.name();
    s.leave_running = o.leave_running();
    s.tcp_established = o.tcp_established();
    s.shell_job = o.shell_job();
    s.ext_unix_sk = o.ext_unix_sk();
    s.file_locks = o.file_locks();
    s.stream = o.has_stream() ? o.stream() : -1;
    s.pre_dump = o.pre_dump();
    s.caller = *caller;
    std::shared_ptr<stasis::Progress> progress = progress_.Begin(req->operation_id());
    s.progress = progress.get();
    auto result = checkpointer_->Dump(target, s);
    ReturnFreedMemory();
    if (!result.ok()) return ToGrpc(result.status());
    CheckpointSummary c;
    c.record = result->checkpoint;
    c.header = result->manifest;
    FillCheckpoint(c, out->mutable_checkpoint());
    out->set_criu_seconds(result->criu_seconds);
    out->set_frozen_seconds(result->frozen_seconds);
    out->set_precopy_seconds(result->precopy_seconds);
    out->set_total_seconds(result->total_seconds);
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::Restore(grpc::ServerContext* ctx, const v1::RestoreRequest* req,
                                    v1::RestoreReply* out) {
  return Guarded("restore", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    RestoreSettings s;
    s.caller = *caller;
    s.trust_unsigned = req->trust_unsigned();
    s.job_id = req->job_id();
    s.path = req->path();
    s.dir = req->dir();
    s.new_jid = req->new_jid();
    std::shared_ptr<stasis::Progress> progress = progress_.Begin(req->operation_id());
    s.progress = progress.get();
    auto result = checkpointer_->Restore(s);
    ReturnFreedMemory();
    if (!result.ok()) return ToGrpc(result.status());
    out->set_total_seconds(result->total_seconds);
    out->set_criu_seconds(result->criu_seconds);
    out->set_unauthenticated(result->unauthenticated);
    return ToGrpc(FillJob(result->job, out->mutable_job()));
  });
}

grpc::Status DaemonService::Progress(grpc::ServerContext*, const v1::ProgressRequest* req,
                                     v1::ProgressReply* out) {
  return Guarded("progress", [&]() -> grpc::Status {
    auto p = progress_.Find(req->operation_id());
    if (p == nullptr || req->operation_id().empty()) return grpc::Status::OK;
    stasis::Progress::Snapshot s = p->Read();
    out->set_found(true);
    out->set_phase(s.phase);
    out->set_bytes(s.bytes);
    out->set_total(s.total);
    out->set_phase_seconds(s.phase_seconds);
    out->set_has_stored(s.has_stored);
    out->set_stored(s.stored);
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::ListCheckpoints(grpc::ServerContext* ctx,
                                            const v1::ListCheckpointsRequest* req,
                                            v1::CheckpointList* out) {
  return Guarded("checkpoint list", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    Result<std::vector<CheckpointSummary>> found =
        req->dir().empty() ? checkpointer_->ListJob(req->job_id(), *caller)
                           : checkpointer_->ListDir(req->dir(), *caller);
    if (!found.ok()) return ToGrpc(found.status());
    for (const auto& c : *found) FillCheckpoint(c, out->add_checkpoints());
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::InspectCheckpoint(grpc::ServerContext* ctx,
                                              const v1::CheckpointRef* req, v1::Checkpoint* out) {
  return Guarded("checkpoint inspect", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto c = checkpointer_->Inspect(req->location(), *caller);
    if (!c.ok()) return ToGrpc(c.status());
    FillCheckpoint(*c, out);
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::DeleteCheckpoint(grpc::ServerContext* ctx, const v1::CheckpointRef* req,
                                             v1::Empty*) {
  return Guarded("checkpoint delete", [&]() -> grpc::Status {
    auto caller = CallerOf(*ctx);
    if (!caller.ok()) return ToGrpc(caller.status());
    return ToGrpc(checkpointer_->Delete(req->location(), *caller));
  });
}

grpc::Status DaemonService::Health(grpc::ServerContext*, const v1::Empty*, v1::HealthReply* out) {
  return Guarded("health", [&]() -> grpc::Status {
    for (const auto& c : RunHealthChecks(*config_, engine_, checkpointer_->signing_key())) {
      auto* h = out->add_checks();
      h->set_section(c.section);
      h->set_name(c.name);
      h->set_state(c.state);
      h->set_detail(c.detail);
    }
    return grpc::Status::OK;
  });
}

grpc::Status DaemonService::Version(grpc::ServerContext*, const v1::Empty*, v1::VersionReply* out) {
  return Guarded("version", [&]() -> grpc::Status {
    out->set_version(STASIS_VERSION);
    if (engine_ != nullptr) {
      auto v = engine_->Version();
      if (v.ok()) out->set_criu(*v);
    }
    return grpc::Status::OK;
  });
}

}  // namespace stasis::daemon
