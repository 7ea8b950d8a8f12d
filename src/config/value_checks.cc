// Value checks for config keys. Each returns the reason a value is refused,
// phrased to follow "config key K: " or "environment variable V: ", or "".
#include <cctype>
#include <string>

#include "common/log.h"
#include "config/config_internal.h"

namespace stasis::config::internal {

namespace {

// Quotes a value for a message, so empty and space-padded values are visible.
std::string Quoted(std::string_view value) {
  std::string out = "\"";
  out += value;
  out += '"';
  return out;
}

}  // namespace

std::string CheckAbsolutePath(std::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  if (value.front() != '/') return Quoted(value) + " is not an absolute path";
  return "";
}

std::string CheckOptionalAbsolutePath(std::string_view value) {
  return value.empty() ? "" : CheckAbsolutePath(value);
}

// Only the shape is checked here: config does not depend on storage, and
// storage::ParseLocation() gives the detailed sentence when the directory is
// used (bucket naming rules, unknown schemes, ...).
std::string CheckCheckpointDir(std::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  if (value.front() == '/') return "";
  constexpr std::string_view kFile = "file://";
  constexpr std::string_view kS3 = "s3://";
  if (value.starts_with(kFile) && value.size() > kFile.size() && value[kFile.size()] == '/')
    return "";
  if (value.starts_with(kS3) && value.size() > kS3.size() && value[kS3.size()] != '/') return "";
  return Quoted(value) + " is not an absolute path, file:///path or s3://bucket/prefix";
}

std::string CheckCompression(std::string_view value) {
  if (value == "none" || value == "gzip" || value == "lz4" || value == "zstd") return "";
  return Quoted(value) + " is not one of none, gzip, lz4, zstd";
}

std::string CheckLogLevel(std::string_view value) {
  LogLevel ignored;
  if (ParseLogLevel(value, &ignored)) return "";
  return Quoted(value) + " is not one of trace, debug, info, warn, error";
}

// A name as useradd/groupadd accept it; whether it exists is the daemon's
// business when it starts.
std::string CheckGroupName(std::string_view value) {
  if (value.empty()) return "";
  bool ok =
      value.size() <= 32 && (std::islower(static_cast<unsigned char>(value[0])) || value[0] == '_');
  for (char c : value)
    ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (ok) return "";
  return Quoted(value) + " is not a group name";
}

std::string CheckSse(std::string_view value) {
  if (value.empty() || value == "AES256" || value == "aws:kms") return "";
  return Quoted(value) + " is not one of AES256, aws:kms (or empty)";
}

std::string CheckTrust(std::string_view value) {
  if (value == "signed" || value == "any") return "";
  return Quoted(value) + " is not one of signed, any";
}

std::string CheckPayloadSigning(std::string_view value) {
  if (value == "auto" || value == "always" || value == "never") return "";
  return Quoted(value) + " is not one of auto, always, never";
}

std::string CheckHttpUrl(std::string_view value) {
  if (value.empty()) return "";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (value.starts_with(scheme) && value.size() > scheme.size()) return "";
  }
  return Quoted(value) + " is not an http:// or https:// URL";
}

std::string CheckValue(const KeyInfo& key, const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value))
    return key.check_string != nullptr ? key.check_string(*s) : "";
  if (const auto* n = std::get_if<int64_t>(&value)) {
    if (*n < key.min || *n > key.max) {
      return std::to_string(*n) + " is not between " + std::to_string(key.min) + " and " +
             std::to_string(key.max);
    }
  }
  return "";
}

}  // namespace stasis::config::internal

namespace stasis::config {

Status Validate(const Config& config) {
  for (const internal::KeyInfo& key : internal::AllKeys()) {
    std::string why = internal::CheckValue(key, internal::GetValue(key, config));
    if (!why.empty())
      return Status::InvalidArgument("config key " + std::string(key.name) + ": " + why);
  }
  return Status::OK();
}

}  // namespace stasis::config
