// stasis: checkpoint and restore Linux processes to local disk or S3.
// One binary: the CLI, and the daemon behind `stasis daemon start`.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/commands/commands.h"

int main(int argc, char** argv) {
  using namespace stasis::cli;
  CliContext ctx;
  const char* env_config = std::getenv("STASIS_CONFIG");
  ctx.config_path = env_config ? env_config : stasis::config::kDefaultConfigPath;

  CLI::App app{"stasis: checkpoint/restore for Linux processes, to local disk or S3", "stasis"};
  app.require_subcommand(1);
  app.add_option("--config", ctx.config_path, "Config file (env STASIS_CONFIG)");
  app.add_option("--address", ctx.address, "Daemon socket (default: config address)");
  app.add_option("--output,-o", ctx.output, "Output format: text|json")
      ->check(CLI::IsMember({"text", "json"}));
  app.set_version_flag("--version", "stasis " STASIS_VERSION);

  AddDaemonCommands(app, ctx);
  AddRunCommands(app, ctx);
  AddJobCommands(app, ctx);
  AddDumpCommands(app, ctx);
  AddRestoreCommands(app, ctx);
  AddCheckpointCommands(app, ctx);
  AddConfigCommands(app, ctx);
  AddHealthCommands(app, ctx);
  AddPluginCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One sentence, not CLI11's usage dump.
    std::cerr << "stasis: " << e.what() << " (see `stasis --help`)\n";
    return 2;
  }
  if (!ctx.action) {
    std::cerr << "stasis: nothing to do (see `stasis --help`)\n";
    return 2;
  }
  return ctx.action();
}
