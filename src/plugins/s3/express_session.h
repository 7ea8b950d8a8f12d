// S3 Express One Zone session credentials: CreateSession on the directory
// bucket gives short-lived keys and a session token, signed with service
// "s3express" and sent as x-amz-s3session-token. Cached per bucket and
// refreshed before they expire.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/result.h"
#include "plugins/s3/endpoint.h"
#include "plugins/s3/sigv4.h"

namespace stasis::s3 {

// GET /?session on the bucket endpoint, to be signed with the base
// credentials and service "s3express". The session mode defaults to
// ReadWrite, which dumps need, so no x-amz-create-session-mode is sent.
SignableRequest CreateSessionRequest(const BucketEndpoint& endpoint);

// Parses <CreateSessionResult><Credentials><SessionToken>, <SecretAccessKey>,
// <AccessKeyId>, <Expiration> (ISO 8601).
Result<Credentials> ParseCreateSessionResponse(const std::string& xml);

class SessionCache {
 public:
  // Performs CreateSession for a bucket (the HTTP part lives in the client).
  using Fetch = std::function<Result<Credentials>(const std::string& bucket)>;
  explicit SessionCache(Fetch fetch, int64_t refresh_margin_seconds = 60);

  // Cached credentials, fetched again when fewer than refresh_margin seconds
  // remain. `now` is unix seconds (a seam for tests).
  Result<Credentials> Get(const std::string& bucket, int64_t now);
  // Drops a session the server no longer accepts (expired early, revoked).
  void Invalidate(const std::string& bucket);

 private:
  Fetch fetch_;
  int64_t margin_;
  std::mutex mu_;
  std::map<std::string, Credentials> cache_;  // guarded by mu_
};

}  // namespace stasis::s3
