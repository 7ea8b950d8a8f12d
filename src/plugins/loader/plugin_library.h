// A storage plugin's shared object, opened with dlopen and checked against
// the ABI version this stasis speaks. Never unloaded: storage handles and
// writers may still point into it.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "plugins/abi.h"

namespace stasis::plugins {

struct PluginInfo {
  std::string name;  // "storage/s3"
  std::string version;
  std::string scheme;  // "s3"
  std::string description;
  std::string path;  // the .so
};

class PluginLibrary {
 public:
  // FailedPrecondition with one sentence for a file that is not a stasis
  // plugin or speaks another ABI version.
  static Result<std::shared_ptr<PluginLibrary>> Load(const std::string& path);

  const stasis_plugin_v1* api() const { return api_; }
  PluginInfo info() const;

 private:
  PluginLibrary(std::string path, const stasis_plugin_v1* api)
      : path_(std::move(path)), api_(api) {}
  std::string path_;
  const stasis_plugin_v1* api_;
};

// "storage/s3" <-> "stasis-storage-s3.so".
std::string PluginFileName(const std::string& name);

}  // namespace stasis::plugins
