// Helpers shared by the config module's files: the table of keys, value
// checks and the loading state. Not for use outside src/config.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "config/config.h"

namespace stasis::config::internal {

// Where a key's value lives in Config. AwsConfig members are reached
// through Config::aws.
using FieldPtr = std::variant<std::string Config::*, int Config::*, std::string AwsConfig::*,
                              bool AwsConfig::*, int AwsConfig::*>;

// A value as read from a file or the environment, before it is stored.
using Value = std::variant<std::string, int64_t, bool>;

enum class ValueType { kString, kInt, kBool };

struct KeyInfo {
  std::string_view name;  // dotted, as in the file: "checkpoint.dir"
  std::string_view env;   // "STASIS_CHECKPOINT_DIR"
  std::string_view help;  // one line, for DefaultConfigText()
  FieldPtr field;
  // Why a string value is refused, or "" when it is fine. Null: any string.
  std::string (*check_string)(std::string_view value) = nullptr;
  int64_t min = 0;  // integer keys only
  int64_t max = 0;
  bool secret = false;  // never displayed
};

// Every key, in the order the default file lists them.
std::span<const KeyInfo> AllKeys();
// Null when `name` is not a key.
const KeyInfo* FindKey(std::string_view name);
// True when `name` is a section ("checkpoint", "aws") rather than a key.
bool IsSection(std::string_view name);

ValueType TypeOf(const KeyInfo& key);
Value GetValue(const KeyInfo& key, const Config& config);
// REQUIRES: `value` holds the key's type and passed CheckValue().
void SetValue(const KeyInfo& key, const Value& value, Config* config);

// Why `value` is refused for `key` ("\"foo\" is not one of none, gzip, lz4,
// zstd"), or "" when it is fine.
std::string CheckValue(const KeyInfo& key, const Value& value);

// The value checks used by the table.
std::string CheckAbsolutePath(std::string_view value);
std::string CheckOptionalAbsolutePath(std::string_view value);
std::string CheckCheckpointDir(std::string_view value);
std::string CheckCompression(std::string_view value);
std::string CheckLogLevel(std::string_view value);
std::string CheckGroupName(std::string_view value);
std::string CheckSse(std::string_view value);
std::string CheckTrust(std::string_view value);
std::string CheckPayloadSigning(std::string_view value);
std::string CheckHttpUrl(std::string_view value);

// A config being assembled: the values plus which keys were given
// explicitly, so that derived defaults (db.path from state.dir) apply only
// to keys nobody set.
struct LoadState {
  Config config;
  std::set<std::string_view> explicit_keys;
};

// Applies JSON text on top of `state`. `source` names it in errors.
Status ApplyJsonText(std::string_view text, const std::string& source, LoadState* state);
// Applies STASIS_* variables on top of `state`.
Status ApplyEnvOverrides(const EnvLookup& env, LoadState* state);
// Fills defaults that depend on other keys (db.path from state.dir).
void DeriveDefaults(LoadState* state);

}  // namespace stasis::config::internal
