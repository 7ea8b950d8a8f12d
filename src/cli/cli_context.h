// State shared by all CLI commands: global flags, the config, the daemon
// connection (opened lazily, so `config` and `version` work without one).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "stasis/v1/daemon.grpc.pb.h"

namespace stasis::cli {

struct CliContext {
  std::string config_path;      // --config / STASIS_CONFIG / default
  std::string address;          // --address overrides config
  std::string output = "text";  // --output text|json
  std::function<int()> action;  // set by the chosen subcommand

  bool json() const { return output == "json"; }
  // Loads the config once (file, then STASIS_* environment).
  Result<config::Config> LoadedConfig();
  // Connects to the daemon; fails with the sentence the user sees.
  Result<v1::Daemon::Stub*> Daemon();

 private:
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<v1::Daemon::Stub> stub_;
};

// Prints "stasis: <message>" to stderr and returns the exit code 1.
int Fail(const std::string& message);
int Fail(const Status& status);

}  // namespace stasis::cli

namespace stasis::cli {
// The daemon has its own working directory: relative paths given on the
// command line are made absolute here. URIs and "" pass unchanged.
std::string AbsoluteLocation(const std::string& location);
}  // namespace stasis::cli
