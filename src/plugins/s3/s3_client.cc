#include "plugins/s3/s3_client.h"

#include <openssl/evp.h>
#include <tinyxml2.h>
#include <zlib.h>

#include <chrono>
#include <ctime>
#include <random>
#include <thread>

namespace stasis::s3 {

namespace {

std::string Base64(const unsigned char* data, size_t size) {
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, data, static_cast<int>(size));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

std::string Hex(const unsigned char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

const char* ChecksumAlgorithm(bool sha256) {
  return sha256 ? "SHA256" : "CRC32";
}
const char* ChecksumHeader(bool sha256) {
  return sha256 ? "x-amz-checksum-sha256" : "x-amz-checksum-crc32";
}
const char* ChecksumElement(bool sha256) {
  return sha256 ? "ChecksumSHA256" : "ChecksumCRC32";
}

int64_t NowUnix() {
  return static_cast<int64_t>(std::time(nullptr));
}

bool SignPayload(const S3Options& options, const BucketEndpoint& endpoint) {
  if (options.payload_signing == "always") return true;
  if (options.payload_signing == "never") return false;
  return endpoint.base_url.rfind("http://", 0) == 0;
}

std::string XmlText(const tinyxml2::XMLElement* parent, const char* name) {
  const tinyxml2::XMLElement* e = parent ? parent->FirstChildElement(name) : nullptr;
  return e && e->GetText() ? e->GetText() : "";
}

int64_t ParseIso8601(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return timegm(&tm);
}

int64_t ParseHttpDate(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return timegm(&tm);
}

bool Retryable(long status, const std::string& code) {
  return status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
         code == "InternalError" || code == "RequestTimeTooSkewed";
}

// One sentence for an S3 error answer; never includes request headers.
Status ErrorStatus(long status, const std::string& body, const std::string& what,
                   const std::string& bucket) {
  tinyxml2::XMLDocument doc;
  std::string code, message;
  if (!body.empty() && doc.Parse(body.data(), body.size()) == tinyxml2::XML_SUCCESS) {
    code = XmlText(doc.FirstChildElement("Error"), "Code");
    message = XmlText(doc.FirstChildElement("Error"), "Message");
  }
  if (code == "NoSuchBucket") return Status::NotFound("bucket " + bucket + " does not exist");
  if (code == "NoSuchKey" || (code.empty() && status == 404))
    return Status::NotFound(what + ": no such object");
  if (code == "NoSuchUpload") return Status::NotFound(what + ": the multipart upload is gone");
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "AccessDenied" ||
      status == 403) {
    return Status::PermissionDenied(
        what + ": S3 refused the credentials (" + (code.empty() ? "403 Forbidden" : code) +
        "); check aws.access_key_id and aws.secret_access_key or the AWS profile");
  }
  std::string detail = code.empty() ? "HTTP " + std::to_string(status) : code;
  if (!message.empty()) detail += ": " + message;
  if (Retryable(status, code)) return Status::Unavailable(what + ": " + detail);
  return Status::InvalidArgument(what + ": " + detail);
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    out += out.empty() ? "?" : "&";
    out += UriEncode(k, true) + "=" + UriEncode(v, true);
  }
  return out;
}

}  // namespace

S3Client::S3Client(S3Options options, Credentials credentials, std::string region,
                   std::string bucket, BucketEndpoint endpoint)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      bucket_(std::move(bucket)),
      endpoint_(std::move(endpoint)),
      sign_payload_(SignPayload(options_, endpoint_)) {
  if (endpoint_.directory_bucket) {
    // Sessions last 5 minutes; renewing a minute early means no request
    // ever goes out with credentials about to lapse.
    sessions_ =
        std::make_unique<SessionCache>([this](const std::string&) { return CreateSession(); }, 60);
  }
}

Result<Credentials> S3Client::CreateSession() {
  SignableRequest r = CreateSessionRequest(endpoint_);
  SigningParams p;
  p.region = region_;
  p.service = "s3express";
  p.amz_date = AmzDateNow();
  p.session_token_header = "X-Amz-Security-Token";
  std::string what = "session for directory bucket " + bucket_;
  Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    p.amz_date = AmzDateNow();
    SignedHeaders signed_headers = SignRequest(r, credentials_, p);
    HttpRequest h;
    h.method = "GET";
    h.url = endpoint_.base_url + r.path + "?session";
    h.headers = signed_headers.headers;
    HttpTimeouts t;
    t.connect_ms = options_.connect_timeout_ms;
    t.total_ms = options_.request_timeout_ms;
    auto response = PerformHttp(h, t);
    if (!response.ok()) {
      last = response.status().WithContext(what);
      continue;
    }
    if (response->status == 200) return ParseCreateSessionResponse(response->body);
    last = ErrorStatus(response->status, response->body, what, bucket_);
    if (last.code() != StatusCode::kUnavailable) return last;
  }
  return last;
}

void S3Client::AddChecksum(Call* call, std::string* checksum_b64) const {
  if (sign_payload_) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(call->body, call->body_size, md, &len, EVP_sha256(), nullptr);
    call->payload_hash = Hex(md, len);
    *checksum_b64 = Base64(md, len);
  } else {
    // zlib's CRC32 runs at memory speed; S3 checks it like any checksum.
    uLong crc = crc32_z(0L, reinterpret_cast<const Bytef*>(call->body), call->body_size);
    unsigned char be[4] = {static_cast<unsigned char>(crc >> 24),
                           static_cast<unsigned char>(crc >> 16),
                           static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
    call->payload_hash = "UNSIGNED-PAYLOAD";
    *checksum_b64 = Base64(be, sizeof be);
  }
  call->headers.emplace_back(ChecksumHeader(sign_payload_), *checksum_b64);
}

Result<HttpResponse> S3Client::SendOnce(const Call& call) {
  SignableRequest r;
  r.method = call.method;
  r.host = endpoint_.host;
  r.path = call.key.empty() ? (endpoint_.path_prefix.empty() ? "/" : endpoint_.path_prefix + "/")
                            : ObjectPath(endpoint_, call.key);
  r.query = call.query;
  r.headers = call.headers;
  r.payload_sha256 =
      call.payload_hash.empty() ? Sha256Hex(call.body, call.body_size) : call.payload_hash;
  SigningParams p;
  p.region = region_;
  p.service = endpoint_.service;
  p.amz_date = AmzDateNow();
  Credentials credentials = credentials_;
  if (sessions_) {
    ASSIGN_OR_RETURN(credentials, sessions_->Get(bucket_, NowUnix()));
  }
  SignedHeaders signed_headers = SignRequest(r, credentials, p);

  HttpRequest h;
  h.method = call.method;
  h.url = endpoint_.base_url + r.path + QueryString(call.query);
  h.headers = call.headers;
  h.headers.insert(h.headers.end(), signed_headers.headers.begin(), signed_headers.headers.end());
  h.body = call.body;
  h.body_size = call.body_size;
  h.head = call.head;
  h.body_sink = call.body_sink;
  HttpTimeouts t;
  t.connect_ms = options_.connect_timeout_ms;
  t.total_ms = options_.request_timeout_ms;
  return PerformHttp(h, t);
}

Result<HttpResponse> S3Client::Send(const Call& call, const std::string& what) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  Status last;
  bool renewed_session = false;
  const int max_attempts = call.max_attempts > 0 ? call.max_attempts : options_.max_attempts;
  int tries = 0;  // made, which the refused-connection shortcut makes fewer than attempts
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (call.cancel != nullptr && call.cancel->load()) break;
    if (attempt > 0) {
      // Full jitter: a random wait up to the exponential cap, so parallel
      // part uploads do not retry in lockstep.
      int64_t cap_ms = std::min<int64_t>(200LL << std::min(attempt, 5), 5000);
      std::uniform_int_distribution<int64_t> wait(cap_ms / 4, cap_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(wait(rng)));
    }
    ++tries;
    auto response = SendOnce(call);
    if (!response.ok()) {
      last = response.status().WithContext(what);
      // A refused connection on the first try means nobody listens there;
      // waiting through the whole retry budget would only delay the answer.
      if (attempt == 0 && last.message().find("Couldn't connect") != std::string::npos &&
          max_attempts > 2) {
        attempt = max_attempts - 2;
      }
      continue;
    }
    if (response->status >= 200 && response->status < 300) {
      // CompleteMultipartUpload may answer 200 with an error document.
      if (response->body.find("<Error>") == std::string::npos) return response;
    }
    Status st = ErrorStatus(response->status, response->body, what, bucket_);
    // A directory bucket session the server stopped accepting (expired
    // early, revoked): one more try with a new session.
    if (sessions_ && response->status == 403 && !renewed_session) {
      renewed_session = true;
      sessions_->Invalidate(bucket_);
      --attempt;
      continue;
    }
    if (st.code() != StatusCode::kUnavailable) return st;
    last = st;
  }
  if (last.ok()) return Status::Unavailable(what + " was given up: the upload is being aborted");
  // Say the failure outlasted the retries, so nobody retries by hand at once.
  if (tries > 1)
    return Status(last.code(),
                  last.message() + " (gave up after " + std::to_string(tries) + " attempts)");
  return last;
}

void S3Client::AddEncryption(Call* c) const {
  if (options_.sse.empty()) return;
  c->headers.emplace_back("x-amz-server-side-encryption", options_.sse);
  if (!options_.sse_kms_key_id.empty())
    c->headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.sse_kms_key_id);
}

Status S3Client::PutObject(const std::string& key, const char* data, size_t size) {
  Call c{"PUT", key, {}, {}, data, size};
  AddEncryption(&c);
  std::string checksum;
  AddChecksum(&c, &checksum);
  return Send(c, "upload of s3://" + bucket_ + "/" + key).status();
}

Result<std::string> S3Client::CreateMultipartUpload(const std::string& key) {
  Call c{"POST",
         key,
         {{"uploads", ""}},
         {{"x-amz-checksum-algorithm", ChecksumAlgorithm(sign_payload_)}}};
  AddEncryption(&c);
  ASSIGN_OR_RETURN(HttpResponse r, Send(c, "start of the upload of s3://" + bucket_ + "/" + key));
  tinyxml2::XMLDocument doc;
  doc.Parse(r.body.data(), r.body.size());
  std::string id = XmlText(doc.FirstChildElement("InitiateMultipartUploadResult"), "UploadId");
  if (id.empty()) return Status::Internal("S3 did not return an upload id for " + key);
  return id;
}

Result<CompletedPart> S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                           int number, const char* data, size_t size,
                                           const std::atomic<bool>* cancel) {
  CompletedPart part;
  part.number = number;
  Call c{"PUT", key,  {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}},
         {},    data, size};
  AddChecksum(&c, &part.checksum_b64);
  c.cancel = cancel;
  ASSIGN_OR_RETURN(HttpResponse r, Send(c, "upload of part " + std::to_string(number) +
                                               " of s3://" + bucket_ + "/" + key));
  part.etag = r.headers["etag"];
  if (part.etag.empty()) return Status::Internal("S3 returned no ETag for a part of " + key);
  return part;
}

Status S3Client::CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                         const std::vector<CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const CompletedPart& p : parts) {
    xml += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" + p.etag +
           "</ETag><" + ChecksumElement(sign_payload_) + ">" + p.checksum_b64 + "</" +
           ChecksumElement(sign_payload_) + "></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  Call c{"POST", key, {{"uploadId", upload_id}}, {}, xml.data(), xml.size()};
  return Send(c, "completion of the upload of s3://" + bucket_ + "/" + key).status();
}

Status S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id,
                                      int attempts) {
  Call c{"DELETE", key, {{"uploadId", upload_id}}, {}};
  c.max_attempts = attempts;
  Status st = Send(c, "abort of the upload of s3://" + bucket_ + "/" + key).status();
  return st.code() == StatusCode::kNotFound ? Status::OK() : st;
}

Result<ObjectHead> S3Client::HeadObject(const std::string& key) {
  Call c{"HEAD", key, {}, {}};
  c.head = true;
  ASSIGN_OR_RETURN(HttpResponse r, Send(c, "s3://" + bucket_ + "/" + key));
  ObjectHead h;
  h.size = std::stoull(r.headers.count("content-length") ? r.headers["content-length"] : "0");
  h.mtime = ParseHttpDate(r.headers["last-modified"]);
  h.etag = r.headers["etag"];
  return h;
}

Result<std::string> S3Client::GetRange(const std::string& key, uint64_t offset, uint64_t size) {
  std::string out;
  RETURN_IF_ERROR(GetRangeInto(key, offset, size, &out));
  return out;
}

Status S3Client::GetRangeInto(const std::string& key, uint64_t offset, uint64_t size,
                              std::string* out) {
  Call c{"GET",
         key,
         {},
         {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + size - 1)}}};
  c.body_sink = out;
  RETURN_IF_ERROR(Send(c, "download of s3://" + bucket_ + "/" + key).status());
  if (out->size() != size)
    return Status::Unavailable("download of s3://" + bucket_ + "/" + key + " returned " +
                               std::to_string(out->size()) + " bytes instead of " +
                               std::to_string(size));
  return Status::OK();
}

Result<ListResult> S3Client::List(const std::string& prefix, bool shallow) {
  ListResult out;
  std::string token;
  for (;;) {
    Call c{"GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}};
    if (shallow) c.query.emplace_back("delimiter", "/");
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    ASSIGN_OR_RETURN(HttpResponse r, Send(c, "listing of s3://" + bucket_ + "/" + prefix));
    tinyxml2::XMLDocument doc;
    if (doc.Parse(r.body.data(), r.body.size()) != tinyxml2::XML_SUCCESS)
      return Status::Unavailable("S3 sent an unreadable listing for s3://" + bucket_);
    const auto* root = doc.FirstChildElement("ListBucketResult");
    for (const auto* e = root ? root->FirstChildElement("Contents") : nullptr; e;
         e = e->NextSiblingElement("Contents")) {
      ListedObject o;
      o.key = XmlText(e, "Key");
      o.size = std::stoull(XmlText(e, "Size").empty() ? "0" : XmlText(e, "Size"));
      o.mtime = ParseIso8601(XmlText(e, "LastModified"));
      out.objects.push_back(std::move(o));
    }
    for (const auto* e = root ? root->FirstChildElement("CommonPrefixes") : nullptr; e;
         e = e->NextSiblingElement("CommonPrefixes")) {
      out.prefixes.push_back(XmlText(e, "Prefix"));
    }
    token = XmlText(root, "NextContinuationToken");
    if (XmlText(root, "IsTruncated") != "true" || token.empty()) break;
  }
  return out;
}

Result<std::vector<OpenUpload>> S3Client::ListMultipartUploads(const std::string& prefix) {
  std::vector<OpenUpload> out;
  std::string key_marker, id_marker;
  for (;;) {
    Call c{"GET", "", {{"uploads", ""}, {"prefix", prefix}}, {}};
    if (!key_marker.empty()) c.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) c.query.emplace_back("upload-id-marker", id_marker);
    ASSIGN_OR_RETURN(HttpResponse r,
                     Send(c, "listing of the open uploads in s3://" + bucket_ + "/" + prefix));
    tinyxml2::XMLDocument doc;
    if (doc.Parse(r.body.data(), r.body.size()) != tinyxml2::XML_SUCCESS)
      return Status::Unavailable("S3 sent an unreadable upload listing for s3://" + bucket_);
    const auto* root = doc.FirstChildElement("ListMultipartUploadsResult");
    for (const auto* e = root ? root->FirstChildElement("Upload") : nullptr; e;
         e = e->NextSiblingElement("Upload"))
      out.push_back({XmlText(e, "Key"), XmlText(e, "UploadId")});
    key_marker = XmlText(root, "NextKeyMarker");
    id_marker = XmlText(root, "NextUploadIdMarker");
    if (XmlText(root, "IsTruncated") != "true" || key_marker.empty()) break;
  }
  return out;
}

Status S3Client::DeleteObject(const std::string& key) {
  Call c{"DELETE", key, {}, {}};
  return Send(c, "delete of s3://" + bucket_ + "/" + key).status();
}

Status S3Client::CheckBucket() {
  Call c{"GET", "", {{"list-type", "2"}, {"max-keys", "1"}}, {}};
  return Send(c, "bucket " + bucket_).status();
}

Status S3Client::ListBuckets() {
  Call c{"GET", "", {}, {}};
  return Send(c, "S3 endpoint " + endpoint_.base_url).status();
}

}  // namespace stasis::s3
