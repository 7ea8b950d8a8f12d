// stasis configuration: /etc/stasis/config.json (JSON with // comments),
// then STASIS_* environment variables, then command-line flags.
#pragma once

#include <string>

#include "common/result.h"

namespace stasis::config {

inline constexpr const char* kDefaultConfigPath = "/etc/stasis/config.json";

struct AwsConfig {
  std::string region;
  std::string endpoint;
  std::string access_key_id;
  std::string secret_access_key;  // secret: never printed
  std::string session_token;      // secret: never printed
  std::string profile;
  bool path_style = false;
};

struct Config {
  std::string address = "/run/stasis/stasis.sock";
  std::string checkpoint_dir = "/var/lib/stasis/checkpoints";
  std::string checkpoint_compression = "zstd";
  int checkpoint_stream = 0;      // 0: plain archives; N > 0: N shards
  std::string criu_path;          // "": find it (see criu/engine.h)
  std::string plugins_dir = "/usr/local/lib/stasis/plugins";
  std::string state_dir = "/var/lib/stasis";  // jobs' logs, work dirs
  std::string db_path = "/var/lib/stasis/stasis.db";
  std::string log_level = "info";  // trace|debug|info|warn|error
  AwsConfig aws;
};

// Loads `path` (a missing file means all defaults) and applies STASIS_*
// environment overrides (STASIS_ADDRESS, STASIS_CHECKPOINT_DIR, ... the key
// upper-cased with '.' as '_'). Unknown keys and bad values fail with
// InvalidArgument naming the key, e.g. "config key checkpoint.compression:
// \"foo\" is not one of none, gzip, lz4, zstd".
Result<Config> LoadConfig(const std::string& path);

// Checks every value; the same sentences as LoadConfig.
Status Validate(const Config& config);

// The effective config as JSON, secrets shown as "(set)" or "".
std::string ConfigToDisplayJson(const Config& config);

// The commented default config that `stasis config init` writes.
std::string DefaultConfigText();

}  // namespace stasis::config
