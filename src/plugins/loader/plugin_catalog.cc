#include "plugins/loader/plugin_catalog.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "plugins/loader/plugin_storage.h"
#include "storage/storage_registry.h"

namespace stasis::plugins {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> AvailableDirs() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return {(exe.parent_path() / "plugins").string(),
          (exe.parent_path().parent_path() / "lib/stasis/plugins-available").string()};
}

std::vector<std::string> SharedObjects(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".so" && e.path().filename().string().starts_with("stasis-"))
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string InstallHint(const std::string& name) {
  return "install it with `stasis plugin install " + name + "`";
}

}  // namespace

Result<std::vector<CatalogEntry>> ListPlugins(const std::string& plugins_dir) {
  std::map<std::string, CatalogEntry> by_name;
  for (const auto& dir : AvailableDirs()) {
    for (const auto& so : SharedObjects(dir)) {
      auto lib = PluginLibrary::Load(so);
      if (!lib.ok()) continue;
      CatalogEntry& e = by_name[(*lib)->info().name];
      if (!e.available) e.info = (*lib)->info();
      e.available = true;
    }
  }
  for (const auto& so : SharedObjects(plugins_dir)) {
    auto lib = PluginLibrary::Load(so);
    if (!lib.ok()) continue;
    CatalogEntry& e = by_name[(*lib)->info().name];
    e.info = (*lib)->info();
    e.installed = true;
  }
  std::vector<CatalogEntry> out;
  out.reserve(by_name.size());
  for (auto& [name, e] : by_name) out.push_back(std::move(e));
  return out;
}

Status InstallPlugin(const std::string& name, const std::string& plugins_dir) {
  std::string file = PluginFileName(name);
  std::string source;
  for (const auto& dir : AvailableDirs()) {
    if (fs::exists(dir + "/" + file)) {
      source = dir + "/" + file;
      break;
    }
  }
  if (source.empty())
    return Status::NotFound("no plugin named " + name +
                            " ships with this stasis; see `stasis plugin list`");
  RETURN_IF_ERROR(PluginLibrary::Load(source).status());
  std::error_code ec;
  fs::create_directories(plugins_dir, ec);
  if (ec) return Status::PermissionDenied("cannot create " + plugins_dir + ": " + ec.message());
  // Copy then rename: a daemon never sees half a shared object.
  std::string tmp = plugins_dir + "/." + file + ".partial";
  fs::copy_file(source, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec)
    return Status::PermissionDenied("cannot install " + name + " into " + plugins_dir + ": " +
                                    ec.message());
  ::chmod(tmp.c_str(), 0644);
  fs::rename(tmp, plugins_dir + "/" + file, ec);
  if (ec) return Status::IOError("cannot install " + name + ": " + ec.message());
  return Status::OK();
}

Status RemovePlugin(const std::string& name, const std::string& plugins_dir) {
  std::string path = plugins_dir + "/" + PluginFileName(name);
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("plugin " + name + " is not installed");
  fs::remove(path, ec);
  if (ec) return Status::PermissionDenied("cannot remove " + path + ": " + ec.message());
  return Status::OK();
}

void EnablePluginLoading(const std::string& plugins_dir, const std::string& config_json) {
  storage::SetSchemeResolver([plugins_dir, config_json](const std::string& scheme) {
    for (const auto& so : SharedObjects(plugins_dir)) {
      auto lib = PluginLibrary::Load(so);
      if (!lib.ok() || (*lib)->info().scheme != scheme) continue;
      std::string name = (*lib)->info().name;
      auto state = std::make_shared<std::pair<std::mutex, std::shared_ptr<PluginStorage>>>();
      storage::RegisterScheme(
          scheme,
          [so, name, scheme, lib = *lib, state,
           config_json]() -> Result<std::shared_ptr<storage::Storage>> {
            if (!fs::exists(so)) {
              storage::UnregisterScheme(scheme);
              return Status::FailedPrecondition("the " + name + " plugin was removed; " +
                                                InstallHint(name));
            }
            std::lock_guard lock(state->first);
            // Opened on first use and again after a failure (credentials
            // may have been set up meanwhile).
            if (!state->second) {
              ASSIGN_OR_RETURN(state->second, PluginStorage::Open(lib, config_json));
            }
            return std::shared_ptr<storage::Storage>(state->second);
          });
      return;
    }
  });
}

std::vector<PluginHealthCheck> PluginHealth(const std::string& plugins_dir,
                                            const std::string& config_json,
                                            const std::string& checkpoint_dir) {
  std::vector<PluginHealthCheck> out;
  for (const auto& so : SharedObjects(plugins_dir)) {
    auto lib = PluginLibrary::Load(so);
    if (!lib.ok()) {
      out.push_back({"plugin " + so, "error", lib.status().message()});
      continue;
    }
    PluginInfo info = (*lib)->info();
    out.push_back({"plugin " + info.name, "ok",
                   "version " + info.version + ", serves " + info.scheme + "://"});
    auto storage = PluginStorage::Open(*lib, config_json);
    if (!storage.ok()) {
      out.push_back({info.name, "error", storage.status().message()});
      continue;
    }
    std::string bucket = checkpoint_dir.starts_with(info.scheme + "://") ? checkpoint_dir : "";
    for (auto& c : (*storage)->Health(bucket)) out.push_back({c.name, c.state, c.detail});
  }
  return out;
}

}  // namespace stasis::plugins
