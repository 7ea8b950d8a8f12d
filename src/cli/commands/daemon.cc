// `stasis daemon start [--detach]`
#include "daemon/daemon.h"

#include "cli/commands/commands.h"

namespace stasis::cli {

void AddDaemonCommands(CLI::App& app, CliContext& ctx) {
  auto* d = app.add_subcommand("daemon", "Run the stasis daemon");
  d->require_subcommand(1);
  auto detach = std::make_shared<bool>(false);
  auto* start = d->add_subcommand("start", "Start the daemon (foreground unless --detach)");
  start->add_flag("--detach", *detach, "Go to the background once the daemon is serving");
  start->callback([&ctx, detach] {
    ctx.action = [&ctx, detach]() -> int {
      auto cfg = ctx.LoadedConfig();
      if (!cfg.ok()) return Fail(cfg.status());
      daemon::DaemonOptions opts;
      opts.detach = *detach;
      return daemon::RunDaemon(*cfg, opts);
    };
  });
}

}  // namespace stasis::cli
