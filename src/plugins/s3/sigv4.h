// AWS Signature Version 4 for S3 requests, including the "s3express"
// variant directory buckets use. Pure functions over a request description,
// so they can be checked against AWS's published test vectors.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stasis::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: never logged
  std::string session_token;      // secret: never logged; "" when not temporary
  int64_t expiration = 0;         // unix seconds; 0 when they do not expire
};

struct SignableRequest {
  std::string method;  // "GET", "PUT", ...
  std::string host;    // Host header value (with :port when not default)
  std::string path;    // already URI-encoded absolute path, e.g. "/bucket/key%20x"
  // Query parameters, not encoded; the signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to send besides Host/X-Amz-Date/Authorization; all are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256;
};

struct SigningParams {
  std::string region;
  std::string service = "s3";  // "s3" or "s3express"
  std::string amz_date;        // "20261124T120000Z"
  // S3 requires x-amz-content-sha256 on every request; AWS's generic test
  // vectors (service "service") do not carry it.
  bool s3_headers = true;
  // Where a session token goes. "" picks by service: X-Amz-S3session-Token
  // for s3express session requests, else X-Amz-Security-Token. CreateSession
  // is s3express but carries the base credentials' STS token, if any.
  std::string session_token_header;
};

struct SignedHeaders {
  // Headers to add to the request: Authorization, X-Amz-Date,
  // X-Amz-Content-Sha256, and X-Amz-Security-Token (s3) or
  // X-Amz-S3session-Token (s3express) when there is a session token.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string canonical_request;  // for tests and debugging (no secrets)
  std::string string_to_sign;
};

SignedHeaders SignRequest(const SignableRequest& request, const Credentials& credentials,
                          const SigningParams& params);

// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, '/' kept
// when encode_slash is false.
std::string UriEncode(const std::string& s, bool encode_slash);

std::string Sha256Hex(const void* data, size_t size);
std::string AmzDateNow();  // current UTC time as "YYYYMMDDTHHMMSSZ"

}  // namespace stasis::s3
