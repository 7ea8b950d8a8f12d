// The Engine that runs CRIU's command line. One process per operation: CRIU
// needs no daemon, and a crash in it cannot take stasisd down.
#pragma once

#include <string>

#include "criu/engine.h"

namespace stasis::criu {

class CliEngine final : public Engine {
 public:
  explicit CliEngine(std::string criu_path) : criu_(std::move(criu_path)) {}

  Status Dump(const DumpOptions& options) override;
  Result<int> Restore(const RestoreOptions& options) override;
  Result<std::string> Version() override;
  Result<std::string> Check() override;
  std::string Describe() const override { return criu_; }

 private:
  const std::string criu_;
};

// "Version: 4.1.1\n..." -> "4.1.1"; "" if absent.
std::string ParseCriuVersion(const std::string& output);
// True when "4.1.1" >= major.minor.
bool VersionAtLeast(const std::string& version, int major, int minor);

}  // namespace stasis::criu
