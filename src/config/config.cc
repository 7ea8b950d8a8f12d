// Loading the config file: JSON with comments, checked key by key against
// the table in config_keys.cc. nlohmann::json throws; every exception stops
// here and becomes a Status.
#include "config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>

#include "common/unique_fd.h"
#include "config/config_internal.h"

namespace stasis::config {

namespace internal {

namespace {

using nlohmann::json;

std::string KeyContext(std::string_view key, const std::string& source) {
  return "config key " + std::string(key) + " in " + source;
}

// Turns nlohmann's "[json.exception.parse_error.101] parse error at line 3,
// column 5: syntax error ..." into "at line 3, column 5: syntax error ...".
std::string DescribeParseError(const json::parse_error& e) {
  std::string what = e.what();
  size_t bracket = what.find("] ");
  if (bracket != std::string::npos) what.erase(0, bracket + 2);
  constexpr std::string_view kPrefix = "parse error ";
  if (what.starts_with(kPrefix)) return what.substr(kPrefix.size());
  return ": " + what;
}

const char* TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "a string";
    case ValueType::kInt:
      return "an integer";
    case ValueType::kBool:
      return "true or false";
  }
  return "?";
}

// Converts a JSON value to the key's type; nullopt when the JSON type is wrong.
std::optional<Value> ValueFromJson(ValueType type, const json& j) {
  switch (type) {
    case ValueType::kString:
      if (j.is_string()) return Value(j.get<std::string>());
      break;
    case ValueType::kInt:
      if (j.is_number_unsigned()) {
        // Clamp so that a huge number still reads as "out of range", not as a
        // wrapped-around negative one.
        uint64_t v = j.get<uint64_t>();
        return Value(static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)));
      }
      if (j.is_number_integer()) return Value(j.get<int64_t>());
      break;
    case ValueType::kBool:
      if (j.is_boolean()) return Value(j.get<bool>());
      break;
  }
  return std::nullopt;
}

Status ApplyKey(const KeyInfo& key, const json& j, const std::string& source, LoadState* state) {
  std::optional<Value> value = ValueFromJson(TypeOf(key), j);
  if (!value)
    return Status::InvalidArgument(KeyContext(key.name, source) + " must be " +
                                   TypeName(TypeOf(key)));
  std::string why = CheckValue(key, *value);
  if (!why.empty()) return Status::InvalidArgument(KeyContext(key.name, source) + ": " + why);
  SetValue(key, *value, &state->config);
  state->explicit_keys.insert(key.name);
  return Status::OK();
}

Status UnknownKey(const std::string& name, const std::string& source) {
  return Status::InvalidArgument("unknown config key '" + name + "' in " + source);
}

Status ApplyJson(const json& root, const std::string& source, LoadState* state) {
  if (!root.is_object())
    return Status::InvalidArgument(source + " must hold a JSON object ({ ... })");
  for (const auto& [name, value] : root.items()) {
    if (const KeyInfo* key = FindKey(name)) {
      RETURN_IF_ERROR(ApplyKey(*key, value, source, state));
      continue;
    }
    if (!IsSection(name)) return UnknownKey(name, source);
    if (!value.is_object())
      return Status::InvalidArgument(KeyContext(name, source) + " must be an object");
    for (const auto& [leaf, leaf_value] : value.items()) {
      std::string dotted = name + "." + leaf;
      const KeyInfo* key = FindKey(dotted);
      if (key == nullptr) return UnknownKey(dotted, source);
      RETURN_IF_ERROR(ApplyKey(*key, leaf_value, source, state));
    }
  }
  return Status::OK();
}

}  // namespace

Status ApplyJsonText(std::string_view text, const std::string& source, LoadState* state) {
  json root;
  try {
    root = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("cannot parse " + source + " " + DescribeParseError(e));
  } catch (const std::exception& e) {
    return Status::InvalidArgument("cannot parse " + source + ": " + e.what());
  }
  try {
    return ApplyJson(root, source, state);
  } catch (const std::exception& e) {
    // Not expected (types are checked before get<>), but nothing may escape.
    return Status::Internal("reading " + source + ": " + e.what());
  }
}

void DeriveDefaults(LoadState* state) {
  if (state->explicit_keys.contains("state.dir") && !state->explicit_keys.contains("db.path"))
    state->config.db_path = state->config.state_dir + "/stasis.db";
}

}  // namespace internal

namespace {

// Reads a whole file. nullopt (with OK status) when it does not exist.
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoStatus("cannot read config file " + path, errno);
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read config file " + path, errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<Config> ParseConfigText(std::string_view text, const std::string& source) {
  internal::LoadState state;
  RETURN_IF_ERROR(internal::ApplyJsonText(text, source, &state));
  internal::DeriveDefaults(&state);
  return state.config;
}

Result<Config> LoadConfig(const std::string& path, const EnvLookup& env) {
  internal::LoadState state;
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  if (text) RETURN_IF_ERROR(internal::ApplyJsonText(*text, path, &state));
  RETURN_IF_ERROR(internal::ApplyEnvOverrides(env, &state));
  internal::DeriveDefaults(&state);
  return state.config;
}

Result<Config> LoadConfig(const std::string& path) {
  return LoadConfig(path, ProcessEnv());
}

}  // namespace stasis::config
