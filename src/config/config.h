// stasis configuration: /etc/stasis/config.json (JSON with // comments),
// then STASIS_* environment variables, then command-line flags.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

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
  // Transfers: memory per transfer is about part_size_mib * (concurrency + 1).
  int part_size_mib = 16;
  int concurrency = 8;
  std::string payload_signing = "auto";
  // Server-side encryption of what stasis stores: "" (the bucket's
  // default), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS, with sse_kms_key_id
  // or the account's default KMS key).
  std::string sse;
  std::string sse_kms_key_id;
};

struct Config {
  std::string address = "/run/stasis/stasis.sock";
  std::string group;  // besides root, who may use the daemon ("" = root only)
  std::string checkpoint_dir = "/var/lib/stasis/checkpoints";
  std::string checkpoint_compression = "zstd";
  int checkpoint_stream = 0;  // 0: plain archives; N > 0: N shards
  // Client-side encryption: a key file (0600; 32 bytes or 64 hex digits) or
  // the key itself in hex (secret; meant for the environment). Either makes
  // every dump a streamed, encrypted one.
  std::string checkpoint_encryption_key_file;
  std::string checkpoint_encryption_key;
  // Manifest signing and what restore accepts (daemon/checkpoint_trust.h).
  std::string checkpoint_signing_key_file;  // "": state_dir + "/signing.key"
  std::string checkpoint_trust = "any";     // "signed" | "any"
  int memory_budget_mib = 2048;             // dumps' and restores' buffers together
  std::string criu_path;                    // "": find it (see criu/engine.h)
  std::string plugins_dir = "/usr/local/lib/stasis/plugins";
  std::string state_dir = "/var/lib/stasis";  // jobs' logs, work dirs
  std::string db_path = "/var/lib/stasis/stasis.db";
  std::string log_level = "info";  // trace|debug|info|warn|error
  AwsConfig aws;
};

// Looks up one environment variable; nullopt when it is not set. A seam so
// tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment (getenv).
EnvLookup ProcessEnv();

// Loads `path` (a missing file means all defaults) and applies STASIS_*
// environment overrides (STASIS_ADDRESS, STASIS_CHECKPOINT_DIR, ... the key
// upper-cased with '.' as '_'; an empty variable counts as unset). Unknown
// keys and bad values fail with InvalidArgument naming the key, e.g. "config
// key checkpoint.compression in /etc/stasis/config.json: \"foo\" is not one
// of none, gzip, lz4, zstd" or "environment variable STASIS_CHECKPOINT_STREAM:
// \"x\" is not an integer". An unreadable or malformed file fails naming the
// file (and the line, for syntax errors). STASIS_CONFIG is not read here: the
// CLI picks `path`.
//
// db.path follows state.dir: when state.dir is set (file or environment)
// and db.path is not, db.path becomes state.dir + "/stasis.db", so one
// setting moves all of the daemon's state.
Result<Config> LoadConfig(const std::string& path);
Result<Config> LoadConfig(const std::string& path, const EnvLookup& env);

// Parses config text (JSON with // and /* */ comments) on top of the
// defaults, without environment overrides. `source` names the text in
// errors (usually its path).
Result<Config> ParseConfigText(std::string_view text, const std::string& source);

// Checks every value; the same sentences as LoadConfig.
Status Validate(const Config& config);

// The effective config as JSON, secrets shown as "(set)" or "".
std::string ConfigToDisplayJson(const Config& config);

// The "aws" section as the JSON the storage/s3 plugin takes (secrets
// included: for the plugin only, never for display or logs).
std::string AwsConfigJson(const Config& config);

// The commented default config that `stasis config init` writes.
std::string DefaultConfigText();

}  // namespace stasis::config
