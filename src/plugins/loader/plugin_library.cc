#include "plugins/loader/plugin_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace stasis::plugins {

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::Load(const std::string& path) {
  // dlopen of the same path twice returns the same handle; keep one object.
  static std::mutex mu;
  static auto* loaded = new std::map<std::string, std::shared_ptr<PluginLibrary>>;
  std::lock_guard lock(mu);
  auto it = loaded->find(path);
  if (it != loaded->end()) return it->second;

  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Status::FailedPrecondition("cannot load plugin " + path + ": " + (err ? err : "?"));
  }
  auto entry = reinterpret_cast<stasis_plugin_entry_v1_fn>(::dlsym(handle, STASIS_PLUGIN_ENTRY_V1));
  if (entry == nullptr)
    return Status::FailedPrecondition(path + " is not a stasis plugin (no " +
                                      STASIS_PLUGIN_ENTRY_V1 + ")");
  const stasis_plugin_v1* api = entry();
  if (api == nullptr || api->abi_version != STASIS_PLUGIN_ABI_VERSION ||
      api->struct_size < STASIS_PLUGIN_V1_BASE_SIZE)
    return Status::FailedPrecondition("plugin " + path +
                                      " was built for another stasis plugin ABI version; "
                                      "reinstall it from this stasis release");
  auto lib = std::shared_ptr<PluginLibrary>(new PluginLibrary(path, api));
  loaded->emplace(path, lib);
  return lib;
}

PluginInfo PluginLibrary::info() const {
  return {api_->name, api_->version, api_->scheme, api_->description, path_};
}

std::string PluginFileName(const std::string& name) {
  std::string file = "stasis-" + name + ".so";
  std::replace(file.begin(), file.end(), '/', '-');
  return file;
}

}  // namespace stasis::plugins
