// `stasis checkpoint list [ID|DIR] | inspect PATH | delete PATH | copy PATH DIR`
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/progress_display.h"
#include "cli/rpc_status.h"
#include "common/time_format.h"
#include "plugins/loader/plugin_catalog.h"
#include "storage/copy.h"
#include "storage/location.h"
#include "stream/copy_streamed.h"

namespace stasis::cli {

namespace {

bool LooksLikeLocation(const std::string& s) {
  return !s.empty() && (s[0] == '/' || s.find("://") != std::string::npos || s[0] == '.');
}

int InspectCheckpoint(CliContext& ctx, const std::string& location) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::CheckpointRef ref;
  ref.set_location(AbsoluteLocation(location));
  v1::Checkpoint c;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->InspectCheckpoint(&rpc, ref, &c);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (ctx.json()) {
    PrintJson(CheckpointToJson(c));
    return 0;
  }
  std::string argv;
  for (const auto& a : c.job().argv()) argv += (argv.empty() ? "" : " ") + a;
  std::cout << "Path:        " << c.location() << "\n"
            << "Job:         " << OrDash(c.job_id()) << "\n"
            << "PID:         " << c.pid() << "\n"
            << "Command:     " << OrDash(argv) << "\n"
            << "Created:     " << HumanUtcTime(c.created()) << " UTC\n"
            << "Size:        " << HumanBytes(c.size()) << "\n"
            << "Compression: " << c.compression() << "\n"
            << "Kind:        " << c.kind() << "\n"
            << "Host:        " << c.host() << " (kernel " << c.kernel() << ")\n"
            << "CRIU:        " << c.criu_version() << "\n"
            << "Owner:       uid " << c.job().uid() << "\n"
            << "Signature:   " << OrDash(c.authenticity()) << "\n";
  return 0;
}

int DeleteCheckpoint(CliContext& ctx, const std::string& location) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::CheckpointRef ref;
  ref.set_location(AbsoluteLocation(location));
  v1::Empty empty;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->DeleteCheckpoint(&rpc, ref, &empty);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (!ctx.json()) std::cout << "deleted " << location << "\n";
  return 0;
}

// Runs in the CLI, not the daemon: bytes go straight between the two
// storages, with the same plugins and credentials the daemon uses.
int CopyCheckpoint(CliContext& ctx, const std::string& from, const std::string& to_dir) {
  auto cfg = ctx.LoadedConfig();
  if (!cfg.ok()) return Fail(cfg.status());
  plugins::EnablePluginLoading(cfg->plugins_dir, config::AwsConfigJson(*cfg));
  std::string source = AbsoluteLocation(from);
  auto src = storage::ParseLocation(source);
  if (!src.ok()) return Fail(src.status());
  std::string name = src->path.substr(src->path.rfind('/') + 1);
  if (name.empty()) return Fail(from + " names a directory or bucket, not a checkpoint");
  std::string target = storage::JoinLocation(AbsoluteLocation(to_dir), name);
  Progress progress;
  Result<uint64_t> copied = Status::Internal("copy did not run");
  // A streamed checkpoint is a prefix of shards: all of them, manifest last.
  bool streamed = stream::IsStreamedLocation(source);
  RunWithLocalProgress(ctx, progress, [&] {
    copied = streamed ? stream::CopyStreamedCheckpoint(source, target, &progress)
                      : storage::CopyObject(source, target, &progress);
  });
  if (!copied.ok()) return Fail(copied.status());
  if (ctx.json()) {
    PrintJson({{"from", source}, {"to", target}, {"size", *copied}});
  } else {
    std::cout << "copied " << source << " to " << target << " (" << HumanBytes(*copied) << ")\n";
  }
  return 0;
}

}  // namespace

int PrintCheckpoints(CliContext& ctx, const std::string& job_id, const std::string& dir) {
  auto stub = ctx.Daemon();
  if (!stub.ok()) return Fail(stub.status());
  v1::ListCheckpointsRequest req;
  req.set_job_id(job_id);
  req.set_dir(AbsoluteLocation(dir));
  if (job_id.empty() && dir.empty()) {
    auto cfg = ctx.LoadedConfig();
    if (!cfg.ok()) return Fail(cfg.status());
    req.set_dir(cfg->checkpoint_dir);
  }
  v1::CheckpointList list;
  grpc::ClientContext rpc;
  grpc::Status st = (*stub)->ListCheckpoints(&rpc, req, &list);
  if (!st.ok()) return Fail(RpcErrorMessage(st));
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : list.checkpoints()) arr.push_back(CheckpointToJson(c));
    PrintJson(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : list.checkpoints())
    rows.push_back(
        {OrDash(c.job_id()), HumanUtcTime(c.created()), HumanBytes(c.size()), c.location()});
  PrintTable({"ID", "TIME", "SIZE", "PATH"}, rows);
  return 0;
}

void AddCheckpointCommands(CLI::App& app, CliContext& ctx) {
  auto* cp = app.add_subcommand("checkpoint", "List, inspect, copy and delete checkpoints");
  cp->require_subcommand(1);
  auto arg = std::make_shared<std::string>();
  auto* list = cp->add_subcommand(
      "list", "Checkpoints of a job (ID) or in a directory (DIR; default: config checkpoint.dir)");
  list->add_option("ID|DIR", *arg, "A job id, or a directory such as /path or s3://bucket/prefix");
  list->callback([&ctx, arg] {
    ctx.action = [&ctx, arg] {
      return LooksLikeLocation(*arg) ? PrintCheckpoints(ctx, "", *arg)
                                     : PrintCheckpoints(ctx, *arg, "");
    };
  });
  auto* inspect = cp->add_subcommand("inspect", "Show what a checkpoint holds");
  inspect->add_option("PATH", *arg, "The checkpoint")->required();
  inspect->callback(
      [&ctx, arg] { ctx.action = [&ctx, arg] { return InspectCheckpoint(ctx, *arg); }; });
  auto* del = cp->add_subcommand("delete", "Delete a checkpoint from storage");
  del->add_option("PATH", *arg, "The checkpoint")->required();
  del->callback([&ctx, arg] { ctx.action = [&ctx, arg] { return DeleteCheckpoint(ctx, *arg); }; });
  auto dir = std::make_shared<std::string>();
  auto* copy = cp->add_subcommand("copy", "Copy a checkpoint into another directory or bucket");
  copy->add_option("PATH", *arg, "The checkpoint, e.g. s3://bucket/jobs/dump-...tar.zst")
      ->required();
  copy->add_option("DIR", *dir, "Where the copy goes, e.g. /var/lib/stasis/checkpoints")
      ->required();
  copy->callback([&ctx, arg, dir] {
    ctx.action = [&ctx, arg, dir] { return CopyCheckpoint(ctx, *arg, *dir); };
  });
}

}  // namespace stasis::cli
