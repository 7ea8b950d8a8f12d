// `stasis job list|inspect|attach|kill|delete|checkpoint list`
#include <unistd.h>

#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/rpc_status.h"
#include "common/time_format.h"

namespace stasis::cli {

int AttachToJob(CliContext& ctx, const std::string& jid, int64_t from_offset) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::AttachRequest req;
  req.set_id(jid);
  req.set_follow(true);
  req.set_from_offset(from_offset);
  grpc::ClientContext rpc;
  auto reader = (*stub)->Attach(&rpc, req);
  v1::LogChunk chunk;
  int code = 0;
  while (reader->Read(&chunk)) {
    if (!chunk.data().empty()) {
      ssize_t ignored = ::write(STDOUT_FILENO, chunk.data().data(), chunk.data().size());
      (void)ignored;
    }
    if (chunk.job_ended()) {
      std::cerr << "job " << jid << " ended: " << chunk.status();
      if (chunk.status() == "exited") std::cerr << " (exit code " << chunk.exit_code() << ")";
      std::cerr << "\n";
      if (chunk.status() == "exited") code = chunk.exit_code();
    }
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  return code;
}

namespace {

std::vector<std::string> JobRow(const v1::Job& j) {
  const auto& c = j.last_checkpoint();
  bool has = !c.location().empty();
  return {j.id(),
          j.type(),
          j.pid() ? std::to_string(j.pid()) : "-",
          j.status(),
          has ? HumanUtcTime(c.created()) : "-",
          has ? HumanBytes(c.size()) : "-",
          has ? c.location() : "-"};
}

int ListJobs(CliContext& ctx) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::JobList list;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->ListJobs(&rpc, v1::ListJobsRequest(), &list);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& j : list.jobs()) arr.push_back(JobToJson(j));
    PrintJson(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : list.jobs()) rows.push_back(JobRow(j));
  PrintTable({"ID", "TYPE", "PID", "STATUS", "LAST CHECKPOINT", "SIZE", "PATH"}, rows);
  return 0;
}

int InspectJob(CliContext& ctx, const std::string& jid) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::JobRef ref;
  ref.set_id(jid);
  v1::Job job;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->InspectJob(&rpc, ref, &job);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (ctx.json()) {
    PrintJson(JobToJson(job));
    return 0;
  }
  std::string argv;
  for (const auto& a : job.spec().argv()) argv += (argv.empty() ? "" : " ") + a;
  std::cout << "ID:        " << job.id() << "\n"
            << "Type:      " << job.type() << "\n"
            << "Status:    " << job.status();
  if (job.status() == "exited") std::cout << " (exit code " << job.exit_code() << ")";
  std::cout << "\nPID:       " << (job.pid() ? std::to_string(job.pid()) : "-") << "\n"
            << "Command:   " << OrDash(argv) << "\n"
            << "Directory: " << OrDash(job.spec().cwd()) << "\n"
            << "Log:       " << OrDash(job.spec().log_path()) << "\n"
            << "Created:   " << (job.created() ? HumanUtcTime(job.created()) : "-") << "\n";
  const auto& c = job.last_checkpoint();
  if (!c.location().empty())
    std::cout << "Checkpoint: " << c.location() << " (" << HumanBytes(c.size()) << ", "
              << HumanUtcTime(c.created()) << ")\n";
  return 0;
}

int KillJob(CliContext& ctx, const std::string& jid) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::KillJobRequest req;
  req.set_id(jid);
  v1::Job job;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->KillJob(&rpc, req, &job);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (ctx.json())
    PrintJson(JobToJson(job));
  else
    std::cout << "killed job " << jid << "\n";
  return 0;
}

int DeleteJob(CliContext& ctx, const std::string& jid, bool force) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::DeleteJobRequest req;
  req.set_id(jid);
  req.set_force(force);
  v1::Empty empty;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->DeleteJob(&rpc, req, &empty);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (!ctx.json()) std::cout << "deleted job " << jid << " (its checkpoints are kept)\n";
  return 0;
}

}  // namespace

void AddJobCommands(CLI::App& app, CliContext& ctx) {
  auto* job = app.add_subcommand("job", "Manage jobs");
  job->require_subcommand(1);
  auto jid = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);

  job->add_subcommand("list", "List jobs with their latest checkpoint")->callback([&ctx] {
    ctx.action = [&ctx] { return ListJobs(ctx); };
  });
  auto* inspect = job->add_subcommand("inspect", "Show one job");
  inspect->add_option("ID", *jid, "Job id")->required();
  inspect->callback([&ctx, jid] { ctx.action = [&ctx, jid] { return InspectJob(ctx, *jid); }; });
  auto* attach = job->add_subcommand("attach", "Stream a job's output until it ends");
  attach->add_option("ID", *jid, "Job id")->required();
  attach->callback([&ctx, jid] { ctx.action = [&ctx, jid] { return AttachToJob(ctx, *jid, 0); }; });
  auto* kill = job->add_subcommand("kill", "Stop a job (SIGTERM, then SIGKILL)");
  kill->add_option("ID", *jid, "Job id")->required();
  kill->callback([&ctx, jid] { ctx.action = [&ctx, jid] { return KillJob(ctx, *jid); }; });
  auto* del = job->add_subcommand("delete", "Forget a job (its checkpoints stay in storage)");
  del->add_option("ID", *jid, "Job id")->required();
  del->add_flag("--force,-f", *force, "Kill the job first if it is running");
  del->callback([&ctx, jid, force] {
    ctx.action = [&ctx, jid, force] { return DeleteJob(ctx, *jid, *force); };
  });
  auto* cp = job->add_subcommand("checkpoint", "A job's checkpoints");
  cp->require_subcommand(1);
  auto* cp_list = cp->add_subcommand("list", "List a job's checkpoints, newest first");
  cp_list->add_option("ID", *jid, "Job id")->required();
  cp_list->callback(
      [&ctx, jid] { ctx.action = [&ctx, jid] { return PrintCheckpoints(ctx, *jid, ""); }; });
}

}  // namespace stasis::cli
