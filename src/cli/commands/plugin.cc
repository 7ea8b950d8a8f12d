// `stasis plugin list|install|remove`: local file operations on plugins.dir,
// so they work without a daemon and without any network. A running daemon
// notices an installed or removed plugin on its next use of the scheme.
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/output.h"
#include "plugins/loader/plugin_catalog.h"

namespace stasis::cli {

namespace {

int ListPlugins(CliContext& ctx) {
  auto cfg = ctx.LoadedConfig();
  if (!cfg.ok()) return Fail(cfg.status());
  auto entries = plugins::ListPlugins(cfg->plugins_dir);
  if (!entries.ok()) return Fail(entries.status());
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : *entries) {
      arr.push_back({{"name", e.info.name},
                     {"version", e.info.version},
                     {"status", e.installed ? "installed" : "available"},
                     {"scheme", e.info.scheme},
                     {"provides", e.info.description},
                     {"path", e.info.path}});
    }
    PrintJson({{"plugins", arr}, {"dir", cfg->plugins_dir}});
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *entries) {
    rows.push_back({e.info.name, e.info.version, e.installed ? "installed" : "available",
                    e.info.scheme + "://  " + e.info.description});
  }
  if (rows.empty()) {
    std::cout << "no plugins found (plugin directory " << cfg->plugins_dir << ")\n";
    return 0;
  }
  PrintTable({"NAME", "VERSION", "STATUS", "PROVIDES"}, rows);
  return 0;
}

int InstallPlugin(CliContext& ctx, const std::string& name) {
  auto cfg = ctx.LoadedConfig();
  if (!cfg.ok()) return Fail(cfg.status());
  Status st = plugins::InstallPlugin(name, cfg->plugins_dir);
  if (!st.ok()) return Fail(st);
  std::cout << "installed " << name << " into " << cfg->plugins_dir << "\n";
  return 0;
}

int RemovePlugin(CliContext& ctx, const std::string& name) {
  auto cfg = ctx.LoadedConfig();
  if (!cfg.ok()) return Fail(cfg.status());
  Status st = plugins::RemovePlugin(name, cfg->plugins_dir);
  if (!st.ok()) return Fail(st);
  std::cout << "removed " << name << "\n";
  return 0;
}

}  // namespace

void AddPluginCommands(CLI::App& app, CliContext& ctx) {
  auto* plugin = app.add_subcommand("plugin", "List, install or remove storage plugins");
  plugin->alias("plugins");
  plugin->require_subcommand(1);
  plugin->add_subcommand("list", "Show available and installed plugins")->callback([&ctx] {
    ctx.action = [&ctx] { return ListPlugins(ctx); };
  });
  auto name = std::make_shared<std::string>();
  auto* install = plugin->add_subcommand("install", "Enable a plugin (no network needed)");
  install->add_option("name", *name, "Plugin name, e.g. storage/s3")->required();
  install->callback(
      [&ctx, name] { ctx.action = [&ctx, name] { return InstallPlugin(ctx, *name); }; });
  auto* remove = plugin->add_subcommand("remove", "Disable and delete an installed plugin");
  remove->add_option("name", *name, "Plugin name, e.g. storage/s3")->required();
  remove->callback(
      [&ctx, name] { ctx.action = [&ctx, name] { return RemovePlugin(ctx, *name); }; });
}

}  // namespace stasis::cli
