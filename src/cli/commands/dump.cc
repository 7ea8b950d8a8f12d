// `stasis dump process PID | dump job ID` with --dir, --compression,
// --leave-running, --tcp-established, --name and CRIU resource flags.
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/progress_display.h"
#include "cli/rpc_status.h"
#include "common/time_format.h"

namespace stasis::cli {

namespace {

struct DumpArgs {
  std::string target;
  v1::DumpOptions options;
  std::string dir, compression, name;
  bool leave_running = false, tcp = false, shell_job = false, ext_unix_sk = false,
       file_locks = false;
  int stream = -1;  // -1: not given (config decides)
  bool pre_dump = false;
};

void AddDumpFlags(CLI::App* cmd, DumpArgs& a) {
  cmd->add_option("--dir,-d", a.dir,
                  "Where to store the checkpoint: /path, file:///path or s3://bucket/prefix");
  // --streams is Cedana's current spelling of the same flag.
  cmd->add_option("--stream,--streams", a.stream,
                  "Stream into N parallel compressed shards (1-64; 0: one archive; "
                  "default: config checkpoint.stream)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--pre-dump", a.pre_dump,
                "Copy memory while the process runs, then freeze it only to store what "
                "changed (streamed; N from --stream, config, or 1)");
  cmd->add_option("--compression,-c", a.compression, "none|gzip|lz4|zstd (default: config)")
      ->check(CLI::IsMember({"none", "gzip", "lz4", "zstd"}));
  cmd->add_option("--name", a.name, "File name of the checkpoint (default: generated)");
  cmd->add_flag("--leave-running", a.leave_running, "Keep the process running after the dump");
  cmd->add_flag("--tcp-established", a.tcp, "Checkpoint established TCP connections");
  cmd->add_flag("--shell-job", a.shell_job, "The process is attached to a terminal/shell");
  cmd->add_flag("--ext-unix-sk", a.ext_unix_sk, "Allow UNIX sockets connected outside the tree");
  cmd->add_flag("--file-locks", a.file_locks, "Checkpoint held file locks");
}

int RunDump(CliContext& ctx, const DumpArgs& a, bool is_job) {
  v1::DumpRequest req;
  if (is_job) {
    req.set_job_id(a.target);
  } else {
    try {
      size_t used = 0;
      long pid = std::stol(a.target, &used);
      if (used != a.target.size() || pid <= 0 || pid > (1 << 22)) throw std::invalid_argument("");
      req.set_pid(static_cast<int>(pid));
    } catch (const std::exception&) {
      return Fail("'" + a.target + "' is not a process id");
    }
  }
  auto* o = req.mutable_options();
  o->set_dir(AbsoluteLocation(a.dir));
  o->set_compression(a.compression);
  o->set_name(a.name);
  o->set_leave_running(a.leave_running);
  o->set_tcp_established(a.tcp);
  o->set_shell_job(a.shell_job);
  o->set_ext_unix_sk(a.ext_unix_sk);
  o->set_file_locks(a.file_locks);
  if (a.stream >= 0) o->set_stream(a.stream);
  o->set_pre_dump(a.pre_dump);
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::DumpReply reply;
  req.set_operation_id(NewOperationId());
  grpc::Status st = WithProgress(ctx, req.operation_id(), [&] {
    grpc::ClientContext rpc;
    return (*stub)->Dump(&rpc, req, &reply);
  });
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  const auto& c = reply.checkpoint();
  if (ctx.json()) {
    auto j = CheckpointToJson(c);
    j["criu_seconds"] = reply.criu_seconds();
    j["frozen_seconds"] = reply.frozen_seconds();
    j["total_seconds"] = reply.total_seconds();
    j["precopy_seconds"] = reply.precopy_seconds();
    PrintJson(j);
    return 0;
  }
  char timing[128];
  if (a.pre_dump)
    std::snprintf(timing, sizeof timing, "%.2f s, pre-copy %.2f s while running, frozen %.2f s",
                  reply.total_seconds(), reply.precopy_seconds(), reply.frozen_seconds());
  else
    std::snprintf(timing, sizeof timing, "%.2f s, frozen %.2f s", reply.total_seconds(),
                  reply.frozen_seconds());
  std::cout << "checkpoint " << c.location() << " (" << HumanBytes(c.size()) << ", " << timing
            << ")" << (a.leave_running ? "; the process keeps running" : "") << "\n";
  return 0;
}

}  // namespace

void AddDumpCommands(CLI::App& app, CliContext& ctx) {
  auto* dump = app.add_subcommand("dump", "Checkpoint a process or a job");
  dump->require_subcommand(1);
  auto proc_args = std::make_shared<DumpArgs>();
  auto* process = dump->add_subcommand("process", "Checkpoint any process tree by PID");
  process->add_option("PID", proc_args->target, "Root of the process tree")->required();
  AddDumpFlags(process, *proc_args);
  process->callback([&ctx, proc_args] {
    ctx.action = [&ctx, proc_args] { return RunDump(ctx, *proc_args, false); };
  });
  auto job_args = std::make_shared<DumpArgs>();
  auto* job = dump->add_subcommand("job", "Checkpoint a managed job");
  job->add_option("ID", job_args->target, "Job id")->required();
  AddDumpFlags(job, *job_args);
  job->callback([&ctx, job_args] {
    ctx.action = [&ctx, job_args] { return RunDump(ctx, *job_args, true); };
  });
}

}  // namespace stasis::cli
