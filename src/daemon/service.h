// The gRPC face of the daemon: turns requests into calls on JobManager and
// Checkpointer, and Status into grpc::Status (the message is the sentence
// the CLI prints).
#pragma once

#include <grpcpp/grpcpp.h>

#include "common/progress.h"
#include "config/config.h"
#include "criu/engine.h"
#include "daemon/checkpointer.h"
#include "daemon/job_manager.h"
#include "stasis/v1/daemon.grpc.pb.h"

namespace stasis::daemon {

class DaemonService final : public stasis::v1::Daemon::Service {
 public:
  DaemonService(const config::Config* config, criu::Engine* engine, JobManager* jobs,
                Checkpointer* checkpointer, jobs::Registry* registry);

  grpc::Status Run(grpc::ServerContext*, const v1::RunRequest*, v1::Job*) override;
  grpc::Status ListJobs(grpc::ServerContext*, const v1::ListJobsRequest*, v1::JobList*) override;
  grpc::Status InspectJob(grpc::ServerContext*, const v1::JobRef*, v1::Job*) override;
  grpc::Status KillJob(grpc::ServerContext*, const v1::KillJobRequest*, v1::Job*) override;
  grpc::Status DeleteJob(grpc::ServerContext*, const v1::DeleteJobRequest*, v1::Empty*) override;
  grpc::Status Attach(grpc::ServerContext*, const v1::AttachRequest*,
                      grpc::ServerWriter<v1::LogChunk>*) override;
  grpc::Status Dump(grpc::ServerContext*, const v1::DumpRequest*, v1::DumpReply*) override;
  grpc::Status Restore(grpc::ServerContext*, const v1::RestoreRequest*, v1::RestoreReply*) override;
  grpc::Status ListCheckpoints(grpc::ServerContext*, const v1::ListCheckpointsRequest*,
                               v1::CheckpointList*) override;
  grpc::Status InspectCheckpoint(grpc::ServerContext*, const v1::CheckpointRef*,
                                 v1::Checkpoint*) override;
  grpc::Status DeleteCheckpoint(grpc::ServerContext*, const v1::CheckpointRef*,
                                v1::Empty*) override;
  grpc::Status Progress(grpc::ServerContext*, const v1::ProgressRequest*,
                        v1::ProgressReply*) override;
  grpc::Status Health(grpc::ServerContext*, const v1::Empty*, v1::HealthReply*) override;
  grpc::Status Version(grpc::ServerContext*, const v1::Empty*, v1::VersionReply*) override;

 private:
  Status FillJob(const jobs::JobRecord& record, v1::Job* out);

  const config::Config* config_;
  criu::Engine* engine_;
  JobManager* jobs_;
  Checkpointer* checkpointer_;
  jobs::Registry* registry_;
  ProgressBoard progress_;  // dumps and restores in flight, by operation id
};

}  // namespace stasis::daemon
