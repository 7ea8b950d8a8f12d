// Which plugins exist and which are enabled. A plugin is "available" when
// its shared object ships beside the stasis binary (build/plugins/, or
// ../lib/stasis/plugins-available/ when installed), and "installed" once
// copied into the plugin directory the daemon loads from (plugins.dir).
// Installing needs no network: it is a local copy.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "plugins/loader/plugin_library.h"

namespace stasis::plugins {

struct CatalogEntry {
  PluginInfo info;
  bool available = false;
  bool installed = false;
};

Result<std::vector<CatalogEntry>> ListPlugins(const std::string& plugins_dir);
Status InstallPlugin(const std::string& name, const std::string& plugins_dir);
Status RemovePlugin(const std::string& name, const std::string& plugins_dir);

// In the daemon: the first use of a scheme no backend serves loads the
// installed plugin for it, opened with `config_json`; a plugin removed later
// stops serving at once, with a sentence naming the install command.
void EnablePluginLoading(const std::string& plugins_dir, const std::string& config_json);

struct PluginHealthCheck {
  std::string name, state, detail;
};
// Each installed plugin's own checks (credentials, endpoint, the bucket of
// `checkpoint_dir` when it is one of the plugin's locations).
std::vector<PluginHealthCheck> PluginHealth(const std::string& plugins_dir,
                                            const std::string& config_json,
                                            const std::string& checkpoint_dir);

}  // namespace stasis::plugins
