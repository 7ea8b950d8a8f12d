// storage::Storage for s3://bucket/prefix locations: objects are keys, and
// "directories" are prefixes ending in '/'. One S3Client per bucket, made on
// first use and shared by every transfer to that bucket.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugins/s3/abort_janitor.h"
#include "plugins/s3/credentials.h"
#include "plugins/s3/part_budget.h"
#include "plugins/s3/s3_client.h"
#include "plugins/s3/s3_options.h"
#include "storage/storage.h"

namespace stasis::s3 {

class S3Storage final : public storage::Storage {
 public:
  // Resolves credentials and region now, so a misconfiguration is reported
  // before any checkpoint starts.
  static Result<std::unique_ptr<S3Storage>> Open(const S3Options& options, const Env& env);

  Result<std::unique_ptr<storage::Writer>> NewWriter(const std::string& location) override;
  Result<std::unique_ptr<storage::Reader>> NewReader(const std::string& location) override;
  Status ReadRange(const std::string& location, uint64_t offset, size_t size,
                   std::string* out) override;
  Result<std::vector<storage::ObjectInfo>> List(const std::string& dir) override;
  Result<storage::ObjectInfo> Stat(const std::string& location) override;
  Status Remove(const std::string& location) override;
  Status RemoveIncomplete(const std::string& location) override;
  Status CheckWritable(const std::string& dir) override;

  // OK when the service endpoint answers and accepts these credentials'
  // signature (a policy refusing ListBuckets still counts as reachable).
  Status CheckEndpoint();
  // "http://127.0.0.1:9000" or "https://s3.<region>.amazonaws.com".
  std::string endpoint_description() const;

  // Where credentials came from ("environment", "profile default (...)").
  const std::string& credential_source() const { return access_.source; }
  const std::string& region() const { return access_.region; }

 private:
  S3Storage(S3Options options, ResolvedAccess access)
      : options_(std::move(options)), access_(std::move(access)) {}
  // The client for the bucket of `location`, and the key it names.
  Result<std::pair<std::shared_ptr<S3Client>, std::string>> ClientFor(const std::string& location);

  const S3Options options_;
  const ResolvedAccess access_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<S3Client>> clients_;  // guarded by mu_
  // Every upload's parts together: part_size x (concurrency + 1) bytes.
  std::shared_ptr<PartBudget> part_budget_;
  std::unique_ptr<AbortJanitor> janitor_;  // last: stops before the clients go
};

}  // namespace stasis::s3
