// STASIS_* environment variables: one per key (see config_keys.cc), applied
// after the file and checked with the same rules.
#include <strings.h>

#include <charconv>
#include <cstdlib>
#include <string>

#include "config/config_internal.h"

namespace stasis::config {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace internal {

namespace {

std::string Quoted(const std::string& value) {
  return "\"" + value + "\"";
}

// Converts the variable's text to the key's type, or says why it cannot.
Result<Value> ParseEnvValue(const KeyInfo& key, const std::string& text) {
  switch (TypeOf(key)) {
    case ValueType::kString:
      return Value(text);
    case ValueType::kInt: {
      int64_t n = 0;
      const char* end = text.data() + text.size();
      auto [ptr, ec] = std::from_chars(text.data(), end, n);
      if (ec == std::errc::result_out_of_range) {
        return Status::InvalidArgument(Quoted(text) + " is not between " + std::to_string(key.min) +
                                       " and " + std::to_string(key.max));
      }
      if (ec != std::errc() || ptr != end)
        return Status::InvalidArgument(Quoted(text) + " is not an integer");
      return Value(n);
    }
    case ValueType::kBool:
      // Shell habits differ, so both spellings of each are accepted.
      if (text == "1" || ::strcasecmp(text.c_str(), "true") == 0) return Value(true);
      if (text == "0" || ::strcasecmp(text.c_str(), "false") == 0) return Value(false);
      return Status::InvalidArgument(Quoted(text) + " is not one of true, false, 1, 0");
  }
  return Status::Internal("unknown value type");
}

}  // namespace

Status ApplyEnvOverrides(const EnvLookup& env, LoadState* state) {
  for (const KeyInfo& key : AllKeys()) {
    std::optional<std::string> text = env(std::string(key.env));
    // An empty variable counts as unset: `STASIS_X= cmd` and unset-by-empty
    // in service managers should not turn into "must not be empty" errors.
    if (!text || text->empty()) continue;
    std::string context = "environment variable " + std::string(key.env);
    Result<Value> value = ParseEnvValue(key, *text);
    if (!value.ok()) return value.status().WithContext(context);
    std::string why = CheckValue(key, *value);
    if (!why.empty()) return Status::InvalidArgument(context + ": " + why);
    SetValue(key, *value, &state->config);
    state->explicit_keys.insert(key.name);
  }
  return Status::OK();
}

}  // namespace internal

}  // namespace stasis::config
