// `stasis config show|init`: local; needs no daemon.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands/commands.h"

namespace stasis::cli {

namespace {

int ShowConfig(CliContext& ctx) {
  auto cfg = ctx.LoadedConfig();
  if (!cfg.ok()) return Fail(cfg.status());
  std::cout << config::ConfigToDisplayJson(*cfg) << "\n";
  return 0;
}

int InitConfig(CliContext& ctx, bool force) {
  namespace fs = std::filesystem;
  const std::string& path = ctx.config_path;
  std::error_code ec;
  if (fs::exists(path, ec) && !force)
    return Fail(path + " already exists; use --force to overwrite it");
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec)
    return Fail("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << config::DefaultConfigText();
    if (!out) return Fail("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, path, ec);
  if (ec) return Fail("cannot write " + path + ": " + ec.message());
  std::cout << "wrote " << path << "\n";
  return 0;
}

}  // namespace

void AddConfigCommands(CLI::App& app, CliContext& ctx) {
  auto* cfg = app.add_subcommand("config", "Show or create the configuration");
  cfg->require_subcommand(1);
  cfg->add_subcommand("show", "Print the effective configuration (secrets hidden)")
      ->callback([&ctx] { ctx.action = [&ctx] { return ShowConfig(ctx); }; });
  auto force = std::make_shared<bool>(false);
  auto* init = cfg->add_subcommand("init", "Write a commented default configuration file");
  init->add_flag("--force", *force, "Overwrite an existing file");
  init->callback([&ctx, force] { ctx.action = [&ctx, force] { return InitConfig(ctx, *force); }; });
}

}  // namespace stasis::cli
