// `stasis run process [--jid ID] [--attach] -- CMD ARGS...`
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/rpc_status.h"

extern char** environ;

namespace stasis::cli {

namespace {
struct RunArgs {
  std::string jid;
  bool attach = false;
  std::vector<std::string> command;
};
}  // namespace

void AddRunCommands(CLI::App& app, CliContext& ctx) {
  auto* run = app.add_subcommand("run", "Start a managed job");
  run->require_subcommand(1);
  auto args = std::make_shared<RunArgs>();
  auto* process = run->add_subcommand(
      "process", "Run a command as a managed job (own PID namespace, output to the job log)");
  process->add_option("--jid", args->jid, "Job id (default: generated)");
  process->add_flag("--attach,-a", args->attach, "Stream the job's output until it ends");
  process->add_option("command", args->command, "The command and its arguments, after --")
      ->required();
  process->callback([&ctx, args] {
    ctx.action = [&ctx, args]() -> int {
      auto stub = ctx.Daemon();
      if (!stub.ok()) return Fail(stub.status());
      v1::RunRequest req;
      req.set_jid(args->jid);
      for (const auto& a : args->command) req.mutable_spec()->add_argv(a);
      std::error_code ec;
      req.mutable_spec()->set_cwd(std::filesystem::current_path(ec).string());
      for (char** e = environ; *e != nullptr; ++e) req.mutable_spec()->add_env(*e);
      v1::Job job;
      grpc::ClientContext rpc;
      grpc::Status st = (*stub)->Run(&rpc, req, &job);
      if (!st.ok()) return Fail(RpcErrorMessage(st));
      if (ctx.json() && !args->attach) {
        PrintJson(JobToJson(job));
        return 0;
      }
      if (!args->attach) {
        std::cout << "started job " << job.id() << " (pid " << job.pid() << "), log "
                  << job.spec().log_path() << "\n";
        return 0;
      }
      std::cerr << "started job " << job.id() << " (pid " << job.pid() << ")\n";
      return AttachToJob(ctx, job.id(), 0);
    };
  });
}

}  // namespace stasis::cli
