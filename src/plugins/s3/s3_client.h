// S3 operations for one bucket: signed requests over the HTTP transport,
// with retries (exponential backoff, full jitter) on what can change:
// transport errors, 5xx, 429/SlowDown. 4xx answers come back at once as a
// sentence naming the cause.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "plugins/s3/endpoint.h"
#include "plugins/s3/express_session.h"
#include "plugins/s3/http_transport.h"
#include "plugins/s3/s3_options.h"
#include "plugins/s3/sigv4.h"

namespace stasis::s3 {

struct ObjectHead {
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string etag;
};

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  int64_t mtime = 0;
};

struct ListResult {
  std::vector<ListedObject> objects;
  std::vector<std::string> prefixes;  // common prefixes (with delimiter "/")
};

struct OpenUpload {
  std::string key;
  std::string upload_id;
};

struct CompletedPart {
  int number = 0;
  std::string etag;
  std::string checksum_b64;  // of the client's checksum algorithm
};

class S3Client {
 public:
  S3Client(S3Options options, Credentials credentials, std::string region, std::string bucket,
           BucketEndpoint endpoint);

  const std::string& bucket() const { return bucket_; }
  // True when bodies are signed (and checksummed with SHA-256); false when
  // they go as UNSIGNED-PAYLOAD with a CRC32 checksum.
  bool signs_payload() const { return sign_payload_; }

  Status PutObject(const std::string& key, const char* data, size_t size);
  Result<std::string> CreateMultipartUpload(const std::string& key);
  // Returns the part's ETag. The part carries its checksum.
  // `cancel`, when set by another thread, stops the retries: a writer
  // aborting its upload does not wait out a part's whole retry budget.
  Result<CompletedPart> UploadPart(const std::string& key, const std::string& upload_id, int number,
                                   const char* data, size_t size,
                                   const std::atomic<bool>* cancel = nullptr);
  Status CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& parts);
  // `attempts` (0: the configured budget) is small when a janitor will try
  // again later: a process frozen for a failed dump should not wait on it.
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id,
                              int attempts = 0);
  // The multipart uploads open under `prefix`, following the markers.
  Result<std::vector<OpenUpload>> ListMultipartUploads(const std::string& prefix);
  Result<ObjectHead> HeadObject(const std::string& key);
  // Bytes [offset, offset + size) of the object.
  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t size);
  // The same into `out`, whose capacity is reused.
  Status GetRangeInto(const std::string& key, uint64_t offset, uint64_t size, std::string* out);
  // One listing, following continuation tokens; delimiter "/" when `shallow`.
  Result<ListResult> List(const std::string& prefix, bool shallow);
  Status DeleteObject(const std::string& key);
  // Directory buckets: a fresh session (CreateSession with the base
  // credentials). Other requests get theirs from the session cache.
  Result<Credentials> CreateSession();

  // OK when the bucket exists and these credentials may list it.
  Status CheckBucket();
  // ListBuckets on a client made for the service endpoint (bucket ""):
  // proves the endpoint answers and knows these credentials.
  Status ListBuckets();

 private:
  struct Call {
    std::string method;
    std::string key;  // "" for the bucket itself
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    const char* body = nullptr;
    size_t body_size = 0;
    bool head = false;
    std::string payload_hash{};  // precomputed; "" to hash the body
    std::string* body_sink = nullptr;
    int max_attempts = 0;                       // 0: options_.max_attempts
    const std::atomic<bool>* cancel = nullptr;  // stops retries when set
  };
  // The checksum header for a body, and for signed bodies its payload hash,
  // from one pass over the data.
  void AddChecksum(Call* call, std::string* checksum_b64) const;
  // The server-side encryption headers (options_.sse), on object creation.
  void AddEncryption(Call* call) const;
  // Signs, sends and retries; a non-2xx final answer becomes a Status.
  Result<HttpResponse> Send(const Call& call, const std::string& what);
  Result<HttpResponse> SendOnce(const Call& call);

  const S3Options options_;
  const Credentials credentials_;
  const std::string region_;
  const std::string bucket_;
  const BucketEndpoint endpoint_;
  const bool sign_payload_;
  std::unique_ptr<SessionCache> sessions_;  // directory buckets only
};

}  // namespace stasis::s3
