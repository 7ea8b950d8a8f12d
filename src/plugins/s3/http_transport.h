// One HTTP exchange over libcurl. Each thread keeps its own easy handle, so
// connections are reused across requests without locking.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace stasis::s3 {

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body = nullptr;  // not owned
  size_t body_size = 0;
  bool head = false;  // a HEAD request: no response body
  // Where a 2xx response body goes instead of HttpResponse::body: a buffer
  // the caller reuses, so large downloads do not fault in fresh pages.
  std::string* body_sink = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

struct HttpTimeouts {
  long connect_ms = 5000;
  long total_ms = 120000;
};

// Unavailable for transport failures (refused, reset, timed out), with the
// URL but never the headers (they carry signatures and tokens).
Result<HttpResponse> PerformHttp(const HttpRequest& request, const HttpTimeouts& timeouts);

}  // namespace stasis::s3
