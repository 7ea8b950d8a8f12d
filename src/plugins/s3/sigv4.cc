#include "plugins/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace stasis::s3 {

namespace {

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hex(const unsigned char* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Header values are trimmed and inner runs of spaces become one, as SigV4
// canonicalisation requires.
std::string CanonicalValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string UriEncode(const std::string& s, bool encode_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Sha256Hex(const void* data, size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, size, md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::string AmzDateNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SignedHeaders SignRequest(const SignableRequest& request, const Credentials& credentials,
                          const SigningParams& params) {
  SignedHeaders out;
  // Every header sent is signed: the ones given, plus ours.
  std::vector<std::pair<std::string, std::string>> headers = request.headers;
  headers.emplace_back("Host", request.host);
  headers.emplace_back("X-Amz-Date", params.amz_date);
  if (params.s3_headers) headers.emplace_back("X-Amz-Content-Sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    std::string name = params.session_token_header;
    if (name.empty())
      name = params.service == "s3express" ? "X-Amz-S3session-Token" : "X-Amz-Security-Token";
    headers.emplace_back(name, credentials.session_token);
  }

  std::vector<std::pair<std::string, std::string>> canon;
  canon.reserve(headers.size());
  for (const auto& [k, v] : headers) canon.emplace_back(Lower(k), CanonicalValue(v));
  std::sort(canon.begin(), canon.end());
  std::string canonical_headers, signed_headers;
  for (size_t i = 0; i < canon.size(); ++i) {
    // Repeated headers join their values with commas under one name.
    if (i > 0 && canon[i].first == canon[i - 1].first) {
      canonical_headers.pop_back();
      canonical_headers += "," + canon[i].second + "\n";
      continue;
    }
    canonical_headers += canon[i].first + ":" + canon[i].second + "\n";
    if (!signed_headers.empty()) signed_headers += ";";
    signed_headers += canon[i].first;
  }

  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : request.query)
    query.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query += "&";
    canonical_query += k + "=" + v;
  }

  out.canonical_request = request.method + "\n" + (request.path.empty() ? "/" : request.path) +
                          "\n" + canonical_query + "\n" + canonical_headers + "\n" +
                          signed_headers + "\n" + request.payload_sha256;

  std::string date = params.amz_date.substr(0, 8);
  std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + "\n" + params.amz_date + "\n" + scope + "\n" +
                       Sha256Hex(out.canonical_request.data(), out.canonical_request.size());

  std::string key = Hmac("AWS4" + credentials.secret_access_key, date);
  key = Hmac(key, params.region);
  key = Hmac(key, params.service);
  key = Hmac(key, "aws4_request");
  std::string raw = Hmac(key, out.string_to_sign);
  std::string signature = Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());

  for (const auto& h : headers) {
    if (Lower(h.first) != "host") out.headers.push_back(h);
  }
  out.headers.emplace_back("Authorization", std::string(kAlgorithm) +
                                                " Credential=" + credentials.access_key_id + "/" +
                                                scope + ", SignedHeaders=" + signed_headers +
                                                ", Signature=" + signature);
  // Only the new headers go back; the caller already has request.headers.
  out.headers.erase(out.headers.begin(),
                    out.headers.begin() + static_cast<std::ptrdiff_t>(request.headers.size()));
  return out;
}

}  // namespace stasis::s3
