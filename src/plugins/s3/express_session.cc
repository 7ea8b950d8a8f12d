#include "plugins/s3/express_session.h"

#include <tinyxml2.h>

#include <ctime>

namespace stasis::s3 {

namespace {

std::string Text(const tinyxml2::XMLElement* parent, const char* name) {
  const tinyxml2::XMLElement* e = parent ? parent->FirstChildElement(name) : nullptr;
  return e && e->GetText() ? e->GetText() : "";
}

// "2026-11-24T12:05:00Z", with or without fractional seconds.
int64_t ParseExpiration(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return timegm(&tm);
}

}  // namespace

SignableRequest CreateSessionRequest(const BucketEndpoint& endpoint) {
  SignableRequest r;
  r.method = "GET";
  r.host = endpoint.host;
  r.path = endpoint.path_prefix.empty() ? "/" : endpoint.path_prefix + "/";
  r.query = {{"session", ""}};
  r.payload_sha256 = Sha256Hex("", 0);
  return r;
}

Result<Credentials> ParseCreateSessionResponse(const std::string& xml) {
  tinyxml2::XMLDocument doc;
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS)
    return Status::Internal("CreateSession answered with something that is not XML");
  const tinyxml2::XMLElement* creds =
      doc.FirstChildElement("CreateSessionResult")
          ? doc.FirstChildElement("CreateSessionResult")->FirstChildElement("Credentials")
          : nullptr;
  Credentials c;
  c.access_key_id = Text(creds, "AccessKeyId");
  c.secret_access_key = Text(creds, "SecretAccessKey");
  c.session_token = Text(creds, "SessionToken");
  c.expiration = ParseExpiration(Text(creds, "Expiration"));
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
      c.expiration == 0)
    return Status::Internal("CreateSession answered without complete session credentials");
  return c;
}

SessionCache::SessionCache(Fetch fetch, int64_t refresh_margin_seconds)
    : fetch_(std::move(fetch)), margin_(refresh_margin_seconds) {}

Result<Credentials> SessionCache::Get(const std::string& bucket, int64_t now) {
  // Held across the fetch: parallel part uploads wait for one CreateSession
  // instead of each making their own.
  std::lock_guard lock(mu_);
  auto it = cache_.find(bucket);
  if (it != cache_.end() && it->second.expiration - margin_ > now) return it->second;
  ASSIGN_OR_RETURN(Credentials fresh, fetch_(bucket));
  cache_[bucket] = fresh;
  return fresh;
}

void SessionCache::Invalidate(const std::string& bucket) {
  std::lock_guard lock(mu_);
  cache_.erase(bucket);
}

}  // namespace stasis::s3
