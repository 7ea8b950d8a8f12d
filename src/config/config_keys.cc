// The one table of config keys: file name, environment variable, help line,
// field and check. Parsing, environment overrides, display and the default
// file all walk it, so a new key is added here and nowhere else.
#include <array>

#include "config/config_internal.h"

namespace stasis::config::internal {

namespace {

const std::array<KeyInfo, 27> kKeys = {{
    {"address", "STASIS_ADDRESS", "UNIX socket the daemon listens on and the CLI connects to.",
     &Config::address, CheckAbsolutePath},
    {"group", "STASIS_GROUP",
     "Group whose members may use the daemon besides root (socket 0660, peers checked); "
     "empty: root only.",
     &Config::group, CheckGroupName},
    {"checkpoint.dir", "STASIS_CHECKPOINT_DIR",
     "Where dumps go: an absolute path, file:///path or s3://bucket/prefix. S3 bucket types: "
     "a general purpose bucket (any name) keeps checkpoints in several zones, survives a zone "
     "outage and suits most jobs; a directory bucket (name--azid--x-s3, S3 Express One Zone) "
     "lives in one zone, answers in single-digit ms and suits frequent checkpoints of jobs "
     "running in that zone, at a higher price per GB and without the zone's redundancy.",
     &Config::checkpoint_dir, CheckCheckpointDir},
    {"checkpoint.compression", "STASIS_CHECKPOINT_COMPRESSION",
     "Archive compression: none, gzip, lz4 or zstd.", &Config::checkpoint_compression,
     CheckCompression},
    {"checkpoint.stream", "STASIS_CHECKPOINT_STREAM",
     "0 writes one archive; N (1 to 64) streams each dump as N parallel shards.",
     &Config::checkpoint_stream, nullptr, 0, 64},
    {"checkpoint.encryption_key_file", "STASIS_CHECKPOINT_ENCRYPTION_KEY_FILE",
     "Client-side encryption (AES-256-GCM): a file holding the key, 32 bytes or 64 hex digits, "
     "mode 0600. Dumps are then streamed and every chunk sealed; restores need the same key.",
     &Config::checkpoint_encryption_key_file, CheckOptionalAbsolutePath},
    {"checkpoint.encryption_key", "STASIS_CHECKPOINT_ENCRYPTION_KEY",
     "The encryption key itself as 64 hex digits, instead of a file; best given in the "
     "environment.",
     &Config::checkpoint_encryption_key, nullptr, 0, 0, /*secret=*/true},
    {"checkpoint.signing_key_file", "STASIS_CHECKPOINT_SIGNING_KEY_FILE",
     "Key (0600; 32 bytes or 64 hex digits) that signs every checkpoint's manifest, so a "
     "restore can tell this host's checkpoints from forged ones. Hosts that restore each "
     "other's checkpoints share one file; empty: state.dir/signing.key, made at first start.",
     &Config::checkpoint_signing_key_file, CheckOptionalAbsolutePath},
    {"checkpoint.trust", "STASIS_CHECKPOINT_TRUST",
     "signed: restore only checkpoints signed with the signing key (root may pass "
     "--trust-unsigned once); any: root may also restore unsigned ones, with a warning. "
     "Non-root users restore only signed checkpoints of their own, whatever this says.",
     &Config::checkpoint_trust, CheckTrust},
    {"memory.budget_mib", "STASIS_MEMORY_BUDGET_MIB",
     "Buffer memory (MiB) the daemon's dumps and restores use together; one that does not "
     "fit waits its turn, before anything is frozen.",
     &Config::memory_budget_mib, nullptr, 64, 1048576},
    {"criu.path", "STASIS_CRIU_PATH",
     "CRIU binary (>= 4.1); empty: a system CRIU, then the one scripts/setup.sh installed.",
     &Config::criu_path, CheckOptionalAbsolutePath},
    {"plugins.dir", "STASIS_PLUGINS_DIR",
     "Directory the daemon loads plugins (such as storage/s3) from.", &Config::plugins_dir,
     CheckAbsolutePath},
    {"state.dir", "STASIS_STATE_DIR",
     "Daemon state: job logs and work directories; db.path follows it unless set.",
     &Config::state_dir, CheckAbsolutePath},
    {"db.path", "STASIS_DB_PATH",
     "SQLite registry of jobs and checkpoints; default: state.dir + \"/stasis.db\".",
     &Config::db_path, CheckAbsolutePath},
    {"log.level", "STASIS_LOG_LEVEL", "Daemon log level: trace, debug, info, warn or error.",
     &Config::log_level, CheckLogLevel},
    {"aws.region", "STASIS_AWS_REGION",
     "S3 region; empty: AWS_REGION, AWS_DEFAULT_REGION, then ~/.aws/config.", &AwsConfig::region},
    {"aws.endpoint", "STASIS_AWS_ENDPOINT",
     "S3-compatible endpoint URL (MinIO, Ceph, ...); empty: AWS_ENDPOINT_URL, then AWS.",
     &AwsConfig::endpoint, CheckHttpUrl},
    {"aws.access_key_id", "STASIS_AWS_ACCESS_KEY_ID",
     "Static access key; empty: AWS_* environment variables, then ~/.aws/credentials.",
     &AwsConfig::access_key_id},
    {"aws.secret_access_key", "STASIS_AWS_SECRET_ACCESS_KEY",
     "Secret for access_key_id; prefer the environment or ~/.aws/credentials.",
     &AwsConfig::secret_access_key, nullptr, 0, 0, /*secret=*/true},
    {"aws.session_token", "STASIS_AWS_SESSION_TOKEN",
     "Session token that comes with temporary credentials.", &AwsConfig::session_token, nullptr, 0,
     0, /*secret=*/true},
    {"aws.profile", "STASIS_AWS_PROFILE",
     "Profile in ~/.aws/credentials and ~/.aws/config; empty: AWS_PROFILE, then default.",
     &AwsConfig::profile},
    {"aws.path_style", "STASIS_AWS_PATH_STYLE",
     "true: path-style URLs (endpoint/bucket/key), which most non-AWS servers need.",
     &AwsConfig::path_style},
    {"aws.part_size_mib", "STASIS_AWS_PART_SIZE_MIB",
     "Multipart part and ranged-GET size in MiB (5 to 5120); smaller dumps are one PUT.",
     &AwsConfig::part_size_mib, nullptr, 5, 5120},
    {"aws.concurrency", "STASIS_AWS_CONCURRENCY",
     "Parts or ranges in flight per transfer (1 to 64); memory is about part size x (this + 1).",
     &AwsConfig::concurrency, nullptr, 1, 64},
    {"aws.payload_signing", "STASIS_AWS_PAYLOAD_SIGNING",
     "auto: sign bodies over http, UNSIGNED-PAYLOAD + CRC32 over https; always; never.",
     &AwsConfig::payload_signing, CheckPayloadSigning},
    {"aws.sse", "STASIS_AWS_SSE",
     "Server-side encryption of checkpoints: empty (the bucket's default), AES256 (SSE-S3) or "
     "aws:kms (SSE-KMS).",
     &AwsConfig::sse, CheckSse},
    {"aws.sse_kms_key_id", "STASIS_AWS_SSE_KMS_KEY_ID",
     "KMS key (id, ARN or alias) for aws.sse aws:kms; empty: the account's default key.",
     &AwsConfig::sse_kms_key_id},
}};

}  // namespace

std::span<const KeyInfo> AllKeys() {
  return kKeys;
}

const KeyInfo* FindKey(std::string_view name) {
  for (const KeyInfo& key : kKeys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

bool IsSection(std::string_view name) {
  for (const KeyInfo& key : kKeys) {
    if (key.name.size() > name.size() && key.name.starts_with(name) &&
        key.name[name.size()] == '.') {
      return true;
    }
  }
  return false;
}

ValueType TypeOf(const KeyInfo& key) {
  switch (key.field.index()) {
    case 1:
    case 4:
      return ValueType::kInt;
    case 3:
      return ValueType::kBool;
    default:
      return ValueType::kString;
  }
}

Value GetValue(const KeyInfo& key, const Config& config) {
  if (auto* f = std::get_if<std::string Config::*>(&key.field)) return config.*(*f);
  if (auto* f = std::get_if<int Config::*>(&key.field)) return int64_t{config.*(*f)};
  if (auto* f = std::get_if<std::string AwsConfig::*>(&key.field)) return config.aws.*(*f);
  if (auto* f = std::get_if<int AwsConfig::*>(&key.field)) return int64_t{config.aws.*(*f)};
  return config.aws.*std::get<bool AwsConfig::*>(key.field);
}

void SetValue(const KeyInfo& key, const Value& value, Config* config) {
  if (auto* f = std::get_if<std::string Config::*>(&key.field)) {
    config->*(*f) = std::get<std::string>(value);
  } else if (auto* f = std::get_if<int Config::*>(&key.field)) {
    config->*(*f) = static_cast<int>(std::get<int64_t>(value));
  } else if (auto* f = std::get_if<std::string AwsConfig::*>(&key.field)) {
    config->aws.*(*f) = std::get<std::string>(value);
  } else if (auto* f = std::get_if<int AwsConfig::*>(&key.field)) {
    config->aws.*(*f) = static_cast<int>(std::get<int64_t>(value));
  } else {
    config->aws.*std::get<bool AwsConfig::*>(key.field) = std::get<bool>(value);
  }
}

}  // namespace stasis::config::internal
