#include "daemon/health.h"

#include <sys/statvfs.h>

#include "common/time_format.h"
#include "plugins/loader/plugin_catalog.h"
#include "storage/location.h"
#include "storage/storage_registry.h"

namespace stasis::daemon {

namespace {
// Below this much free space a 1 GiB process no longer fits uncompressed.
constexpr uint64_t kLowSpaceBytes = 2ull << 30;
}  // namespace

std::vector<HealthCheck> RunHealthChecks(const config::Config& config, criu::Engine* engine,
                                         const stream::SigningKey* signing_key) {
  std::vector<HealthCheck> out;
  out.push_back({"daemon", "version", "ok", STASIS_VERSION});
  if (signing_key != nullptr)
    out.push_back({"daemon", "signing key", "ok",
                   signing_key->KeyId() + "; restores accept " +
                       (config.checkpoint_trust == "signed"
                            ? std::string("signed checkpoints only (checkpoint.trust)")
                            : std::string("unsigned checkpoints from root, with a warning "
                                          "(checkpoint.trust any)"))});
  if (engine == nullptr) {
    out.push_back({"criu", "binary", "error", "CRIU was not found; run scripts/setup.sh"});
  } else {
    out.push_back({"criu", "binary", "ok", engine->Describe()});
    auto v = engine->Version();
    out.push_back({"criu", "version", v.ok() ? "ok" : "error", v.ok() ? *v : v.status().message()});
    auto c = engine->Check();
    out.push_back({"criu", "criu check", c.ok() ? "ok" : "error",
                   c.ok() ? "Looks good" : c.status().message()});
  }

  for (const auto& c : plugins::PluginHealth(config.plugins_dir, config::AwsConfigJson(config),
                                             config.checkpoint_dir)) {
    out.push_back({"plugins", c.name, c.state, c.detail});
  }

  const std::string& dir = config.checkpoint_dir;
  auto store = storage::StorageFor(dir);
  if (!store.ok()) {
    out.push_back({"storage", dir, "error", store.status().message()});
    return out;
  }
  Status writable = (*store)->CheckWritable(dir);
  out.push_back({"storage", "checkpoint dir", writable.ok() ? "ok" : "error",
                 writable.ok() ? dir + " is writable" : writable.message()});
  auto loc = storage::ParseLocation(dir);
  std::vector<std::string> local_dirs;
  if (loc.ok() && loc->scheme == "file") local_dirs.push_back(loc->path);
  local_dirs.push_back(config.state_dir);
  for (const auto& d : local_dirs) {
    struct statvfs vfs {};
    if (::statvfs(d.c_str(), &vfs) != 0) continue;
    uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    out.push_back({"storage", "free space " + d, free_bytes < kLowSpaceBytes ? "warn" : "ok",
                   HumanBytes(free_bytes) + " free"});
  }
  return out;
}

}  // namespace stasis::daemon
