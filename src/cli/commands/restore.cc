// `stasis restore process --path P` and `stasis restore job [ID] [--path P]`.
#include <sys/stat.h>

#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/progress_display.h"
#include "cli/rpc_status.h"

namespace stasis::cli {

namespace {

struct RestoreArgs {
  std::string jid, path, dir, new_jid;
  bool attach = false;
  bool trust_unsigned = false;
};

constexpr char kTrustUnsignedHelp[] =
    "Root only: restore a checkpoint that is not signed by this host's signing key, once";

int64_t LogSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

int RunRestore(CliContext& ctx, const RestoreArgs& a) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::RestoreRequest req;
  req.set_job_id(a.jid);
  req.set_path(AbsoluteLocation(a.path));
  req.set_dir(AbsoluteLocation(a.dir));
  req.set_new_jid(a.new_jid);
  req.set_trust_unsigned(a.trust_unsigned);
  // With --attach, show only what the restored process writes from now on.
  int64_t offset = 0;
  if (a.attach && !a.jid.empty()) {
    v1::JobRef ref;
    ref.set_id(a.jid);
    v1::Job before;
    grpc::ClientContext rpc;
    if ((*stub)->InspectJob(&rpc, ref, &before).ok()) offset = LogSize(before.spec().log_path());
  }
  v1::RestoreReply reply;
  req.set_operation_id(NewOperationId());
  grpc::Status st = WithProgress(ctx, req.operation_id(), [&] {
    grpc::ClientContext rpc;
    return (*stub)->Restore(&rpc, req, &reply);
  });
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  // Said on stderr even with --output json: whoever restores should know.
  if (!reply.unauthenticated().empty()) std::cerr << "warning: " << reply.unauthenticated() << "\n";
  const auto& job = reply.job();
  if (ctx.json() && !a.attach) {
    auto j = JobToJson(job);
    j["restore_seconds"] = reply.total_seconds();
    j["authenticated"] = reply.unauthenticated().empty();
    PrintJson(j);
    return 0;
  }
  char timing[48];
  std::snprintf(timing, sizeof timing, "%.2f s", reply.total_seconds());
  (a.attach ? std::cerr : std::cout)
      << "restored job " << job.id() << " (pid " << job.pid() << ") in " << timing << "\n";
  if (!a.attach) return 0;
  return AttachToJob(ctx, job.id(), offset);
}

}  // namespace

void AddRestoreCommands(CLI::App& app, CliContext& ctx) {
  auto* restore = app.add_subcommand("restore", "Restore a process or a job from a checkpoint");
  restore->require_subcommand(1);
  auto pa = std::make_shared<RestoreArgs>();
  auto* process = restore->add_subcommand("process", "Restore a checkpoint as a new job");
  process->add_option("--path,-p", pa->path, "The checkpoint (/path/dump-....tar.zst)")->required();
  process->add_option("--jid", pa->new_jid, "Id of the new job (default: generated)");
  process->add_flag("--attach,-a", pa->attach, "Stream the restored job's output");
  process->add_flag("--trust-unsigned", pa->trust_unsigned, kTrustUnsignedHelp);
  process->callback([&ctx, pa] { ctx.action = [&ctx, pa] { return RunRestore(ctx, *pa); }; });

  auto ja = std::make_shared<RestoreArgs>();
  auto* job =
      restore->add_subcommand("job", "Restore a job, by default from its latest checkpoint");
  job->add_option("ID", ja->jid, "Job id")->required();
  job->add_option("--path,-p", ja->path, "A specific checkpoint of the job");
  job->add_option("--dir,-d", ja->dir, "Find the job's latest checkpoint in this directory");
  job->add_flag("--attach,-a", ja->attach, "Stream the restored job's output");
  job->add_flag("--trust-unsigned", ja->trust_unsigned, kTrustUnsignedHelp);
  job->callback([&ctx, ja] { ctx.action = [&ctx, ja] { return RunRestore(ctx, *ja); }; });
}

}  // namespace stasis::cli
