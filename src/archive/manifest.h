// stasis.json: the manifest each checkpoint carries. See docs/manifest-format.md.
// Compatibility: readers refuse a format_version greater than
// kManifestFormatVersion; new optional fields may be added without a bump.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/job_spec.h"
#include "common/result.h"

namespace stasis::archive {

inline constexpr int kManifestFormatVersion = 1;
// First member of every archive: the manifest without the file list, so a
// listing can describe a checkpoint by reading only the archive's head.
inline constexpr const char* kHeaderMemberName = "stasis-header.json";
// Last member: the full manifest, with every member's size and checksum.
inline constexpr const char* kManifestMemberName = "stasis.json";

struct FileEntry {
  std::string name;  // relative member name, e.g. "pages-1.img"
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

// A manifest's MAC, as the parser found it: "signed_by" (which key) is part
// of the text the MAC covers, "mac" is not. Empty for unsigned manifests.
// Whether it checks out is the daemon's call (daemon/checkpoint_trust.h):
// the parser only keeps the exact text that was signed.
struct ManifestSeal {
  std::string signed_by;    // the signing key's id ("s1-..."), "" when encrypted
  std::string mac;          // lowercase hex HMAC-SHA256
  std::string signed_text;  // the manifest without "mac", compact, keys sorted
};

// Makes a manifest's MAC: the daemon's signing key (stream/signing_key.h).
class ManifestSigner {
 public:
  virtual ~ManifestSigner() = default;
  virtual std::string KeyId() const = 0;
  virtual std::string Mac(std::string_view text) const = 0;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string kind = "plain";  // "plain" (one archive) or "stream" (shards)
  std::string job_id;          // "" for `dump process` of an unmanaged pid
  std::string job_type = "process";
  int pid = 0;  // host pid at dump time
  JobSpec job;
  std::string criu_version;
  std::string kernel;
  std::string host;
  std::string created;  // RFC 3339, UTC
  int64_t created_unix = 0;
  std::string compression;       // "none"|"gzip"|"lz4"|"zstd"
  bool tcp_established = false;  // restore needs the same CRIU flags
  bool shell_job = false;
  bool file_locks = false;
  bool ext_unix_sk = false;
  std::vector<FileEntry> files;  // empty in the header member
  uint64_t total_bytes = 0;      // sum of files[].size
  ManifestSeal seal;             // set by ManifestFromJson; never serialized by ManifestToJson
};

// A member name restore may create: one path component, no "..".
bool IsSafeMemberName(const std::string& name);

std::string ManifestToJson(const Manifest& m);
// ManifestToJson with "signed_by" and "mac" added (unchanged without a signer).
std::string SealedManifestJson(const Manifest& m, const ManifestSigner* signer);
// The canonical text a MAC covers: `json_text` without its "mac", compact,
// keys sorted. "" when `json_text` is not a JSON object.
std::string TextToSign(std::string_view json_text);
// Corruption with a clear sentence on malformed JSON, missing fields or a
// newer format_version.
Result<Manifest> ManifestFromJson(std::string_view json);

}  // namespace stasis::archive
