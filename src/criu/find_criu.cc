// OpenEngine: which CRIU to use. Bookworm's own CRIU is too old for current
// kernels, so scripts/setup.sh provisions 4.2 privately; a newer system
// CRIU (or an explicit criu.path) wins.
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "criu/cli_engine.h"
#include "criu/engine.h"

namespace stasis::criu {

namespace {

constexpr const char* kProvisionedCriu = "/opt/stasis/criu/criu";

bool Executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (!dir.empty() && Executable(candidate)) return candidate;
  }
  return "";
}

Result<std::unique_ptr<Engine>> Open(const std::string& path) {
  auto engine = std::make_unique<CliEngine>(path);
  auto version = engine->Version();
  if (!version.ok())
    return Status::FailedPrecondition("cannot run CRIU at " + path + ": " +
                                      version.status().message());
  if (!VersionAtLeast(*version, 4, 1))
    return Status::FailedPrecondition("CRIU 4.1 or newer is required (found " + *version + " at " +
                                      path + "); run scripts/setup.sh to provision it");
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace

Result<std::unique_ptr<Engine>> OpenEngine(const std::string& configured_path) {
  if (!configured_path.empty()) {
    if (!Executable(configured_path))
      return Status::NotFound("criu.path " + configured_path + " is not an executable file");
    return Open(configured_path);
  }
  // A system CRIU >= 4.1 is preferred; the private copy is the fallback.
  std::string system = FindOnPath("criu");
  if (!system.empty()) {
    auto engine = Open(system);
    if (engine.ok()) return engine;
  }
  if (Executable(kProvisionedCriu)) return Open(kProvisionedCriu);
  return Status::NotFound("CRIU not found; run scripts/setup.sh (or set criu.path in the config)");
}

}  // namespace stasis::criu
