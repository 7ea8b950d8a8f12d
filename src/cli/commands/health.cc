// `stasis health` (alias `check`) and `stasis version`.
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "cli/rpc_status.h"

namespace stasis::cli {

namespace {

int Health(CliContext& ctx) {
  std::vector<std::vector<std::string>> rows;
  nlohmann::json arr = nlohmann::json::array();
  int errors = 0, warnings = 0;
  auto add = [&](const std::string& section, const std::string& name, const std::string& state,
                 const std::string& detail) {
    rows.push_back({section, name, state, detail});
    arr.push_back({{"section", section}, {"name", name}, {"state", state}, {"detail", detail}});
    if (state == "error") ++errors;
    if (state == "warn") ++warnings;
  };
  auto stub = ctx.Daemon();
  if (!stub.ok()) {
    add("daemon", "reachable", "error", stub.status().message());
  } else {
    add("daemon", "reachable", "ok", ctx.LoadedConfig()->address);
    v1::HealthReply reply;
    grpc::ClientContext rpc;
    grpc::Status st = (*stub)->Health(&rpc, v1::Empty(), &reply);
    if (!st.ok()) return Fail(RpcErrorMessage(st));
    for (const auto& c : reply.checks()) add(c.section(), c.name(), c.state(), c.detail());
  }
  if (ctx.json()) {
    PrintJson({{"checks", arr}, {"errors", errors}, {"warnings", warnings}});
  } else {
    PrintTable({"SECTION", "CHECK", "STATE", "DETAIL"}, rows);
    if (errors == 0 && warnings == 0)
      std::cout << "All good.\n";
    else
      std::cout << errors << " error(s), " << warnings << " warning(s).\n";
  }
  return errors == 0 ? 0 : 1;
}

int Version(CliContext& ctx) {
  std::string daemon_version, criu;
  auto stub = ctx.Daemon();
  if (stub.ok()) {
    v1::VersionReply reply;
    grpc::ClientContext rpc;
    if ((*stub)->Version(&rpc, v1::Empty(), &reply).ok()) {
      daemon_version = reply.version();
      criu = reply.criu();
    }
  }
  if (ctx.json()) {
    PrintJson({{"version", STASIS_VERSION}, {"daemon", daemon_version}, {"criu", criu}});
    return 0;
  }
  std::cout << "stasis " << STASIS_VERSION << "\n";
  if (!daemon_version.empty())
    std::cout << "daemon " << daemon_version << " (CRIU " << OrDash(criu) << ")\n";
  else
    std::cout << "daemon not running\n";
  return 0;
}

}  // namespace

void AddHealthCommands(CLI::App& app, CliContext& ctx) {
  auto* health = app.add_subcommand("health", "Check CRIU, the daemon and storage");
  health->alias("check");
  health->callback([&ctx] { ctx.action = [&ctx] { return Health(ctx); }; });
  app.add_subcommand("version", "Print versions")->callback([&ctx] {
    ctx.action = [&ctx] { return Version(ctx); };
  });
}

}  // namespace stasis::cli
