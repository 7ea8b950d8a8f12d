#include "storage/location.h"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace stasis::storage {

namespace {

constexpr std::string_view kSchemeSeparator = "://";
constexpr std::string_view kForms = "use an absolute path, file:///path or s3://bucket/prefix";

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Replaces each run of '/' with one '/' and drops trailing '/' (but keeps a
// lone "/").
std::string NormalizeSlashes(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsBucketChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool IsLetterOrDigit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Loose on purpose: enough to catch typos and URIs pasted with the wrong
// shape; S3 itself enforces the rest (no "..", no IP addresses, ...).
bool LooksLikeBucketName(std::string_view b) {
  return b.size() >= 3 && b.size() <= 63 && std::all_of(b.begin(), b.end(), IsBucketChar) &&
         IsLetterOrDigit(b.front()) && IsLetterOrDigit(b.back());
}

Result<Location> ParseFile(const std::string& uri, std::string_view rest) {
  if (rest.empty() || rest.front() != '/') {
    return Status::InvalidArgument(Quoted(uri) +
                                   " is not a valid file URI; write an absolute path as "
                                   "file:///path (three slashes)");
  }
  return Location{"file", "", NormalizeSlashes(rest)};
}

Result<Location> ParseS3(const std::string& uri, std::string_view rest) {
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty())
    return Status::InvalidArgument(Quoted(uri) + " names no bucket; use s3://bucket/prefix");
  if (!LooksLikeBucketName(bucket)) {
    return Status::InvalidArgument(
        Quoted(std::string(bucket)) + " in " + Quoted(uri) +
        " is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')");
  }
  std::string key;
  if (slash != std::string_view::npos) {
    key = NormalizeSlashes(rest.substr(slash));
    key.erase(0, 1);  // the leading '/'
  }
  return Location{"s3", std::string(bucket), std::move(key)};
}

}  // namespace

std::string Location::ToString() const {
  if (scheme == "s3") return "s3://" + bucket + (path.empty() ? "" : "/" + path);
  return path;
}

Result<Location> ParseLocation(const std::string& uri) {
  if (uri.empty())
    return Status::InvalidArgument("the storage location is empty; " + std::string(kForms));
  if (uri.find('\0') != std::string::npos)
    return Status::InvalidArgument("the storage location contains a NUL character");
  if (uri.front() == '/') return Location{"file", "", NormalizeSlashes(uri)};

  size_t sep = uri.find(kSchemeSeparator);
  bool has_scheme =
      sep != std::string::npos && sep > 0 &&
      std::all_of(uri.begin(), uri.begin() + static_cast<ptrdiff_t>(sep), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '-' || c == '.';
      });
  if (!has_scheme) {
    return Status::InvalidArgument(Quoted(uri) + " is a relative path; " + std::string(kForms));
  }
  std::string scheme = uri.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest = std::string_view(uri).substr(sep + kSchemeSeparator.size());
  if (scheme == "file") return ParseFile(uri, rest);
  if (scheme == "s3") return ParseS3(uri, rest);
  return Status::InvalidArgument("unsupported storage scheme " + Quoted(scheme + "://") + " in " +
                                 Quoted(uri) + "; " + std::string(kForms));
}

std::string JoinLocation(const std::string& dir, const std::string& name) {
  size_t sep = dir.find(kSchemeSeparator);
  size_t head_end = sep == std::string::npos ? 0 : sep + kSchemeSeparator.size();
  std::string out = dir;
  while (out.size() > head_end && out.back() == '/') out.pop_back();
  size_t first = name.find_first_not_of('/');
  out += '/';
  if (first != std::string::npos) out.append(name, first);
  return out;
}

bool IsDirectoryBucket(std::string_view bucket) {
  constexpr std::string_view kSuffix = "--x-s3";
  if (!bucket.ends_with(kSuffix)) return false;
  // "base--azid": both parts present.
  std::string_view rest = bucket.substr(0, bucket.size() - kSuffix.size());
  size_t sep = rest.rfind("--");
  return sep != std::string_view::npos && sep > 0 && sep + 2 < rest.size();
}

}  // namespace stasis::storage
