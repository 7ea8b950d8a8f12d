// What the S3 plugin is configured with: the daemon's "aws" config section
// (see config/config.h AwsConfig), passed to the plugin as JSON.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace stasis::s3 {

struct S3Options {
  std::string region;             // "": resolved by the credential chain
  std::string endpoint;           // "": AWS; else e.g. "http://127.0.0.1:4568"
  std::string access_key_id;      // static credentials ("" to use the chain)
  std::string secret_access_key;  // secret
  std::string session_token;      // secret
  std::string profile;            // "": AWS_PROFILE, then "default"
  bool path_style = false;        // forced on for custom endpoints unless virtual-hosted works
  // Whether request bodies are hashed into the signature: "auto" signs them
  // over plain http (where nothing else protects them) and sends
  // UNSIGNED-PAYLOAD over https, as the AWS SDKs do; "always"; "never".
  // Every upload carries a checksum S3 verifies either way: SHA-256 when
  // the body is signed (one hash serves both), CRC32 otherwise.
  std::string payload_signing = "auto";
  // Server-side encryption asked of S3 for every object written: "" (the
  // bucket's default), "AES256" or "aws:kms" (with sse_kms_key_id, or the
  // account's default key when empty).
  std::string sse;
  std::string sse_kms_key_id;
  // The daemon's state directory: where uploads still to be aborted are
  // remembered across restarts ("" = in memory only).
  std::string state_dir;
  // Transfers (DESIGN.md: fixed memory budget).
  uint64_t part_size = 16ull << 20;  // multipart part size, >= 5 MiB
  int concurrency = 8;               // parallel parts / ranged GETs per transfer
  int max_attempts = 6;              // per request, with backoff and jitter
  int connect_timeout_ms = 5000;
  int request_timeout_ms = 120000;  // whole request, bounded so nothing hangs
};

// Parses the JSON the daemon passes to the plugin ({"region": ..., "endpoint":
// ..., "access_key_id": ..., "secret_access_key": ..., "session_token": ...,
// "profile": ..., "path_style": bool, "part_size": int, "concurrency": int}).
Result<S3Options> S3OptionsFromJson(const std::string& json);

}  // namespace stasis::s3
