// storage::Storage backed by a plugin's C ABI: the daemon's side of
// plugins/abi.h. Codes and sentences from the plugin become Status again.
#pragma once

#include <memory>
#include <string>

#include "plugins/loader/plugin_library.h"
#include "storage/storage.h"

namespace stasis::plugins {

class PluginStorage final : public storage::Storage {
 public:
  // Calls the plugin's storage_open with `config_json` (it may hold secrets).
  static Result<std::shared_ptr<PluginStorage>> Open(std::shared_ptr<PluginLibrary> lib,
                                                     const std::string& config_json);
  ~PluginStorage() override;

  Result<std::unique_ptr<storage::Writer>> NewWriter(const std::string& location) override;
  Result<std::unique_ptr<storage::Reader>> NewReader(const std::string& location) override;
  Status ReadRange(const std::string& location, uint64_t offset, size_t size,
                   std::string* out) override;
  Result<std::vector<storage::ObjectInfo>> List(const std::string& dir) override;
  Result<storage::ObjectInfo> Stat(const std::string& location) override;
  Status Remove(const std::string& location) override;
  Status RemoveIncomplete(const std::string& location) override;
  Status CheckWritable(const std::string& dir) override;

  struct HealthCheck {
    std::string name, state, detail;
  };
  std::vector<HealthCheck> Health(const std::string& bucket_location);

 private:
  PluginStorage(std::shared_ptr<PluginLibrary> lib, stasis_storage* s)
      : lib_(std::move(lib)), s_(s) {}
  std::shared_ptr<PluginLibrary> lib_;
  stasis_storage* s_;
};

}  // namespace stasis::plugins
