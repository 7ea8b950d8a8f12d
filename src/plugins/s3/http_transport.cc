#include "plugins/s3/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace stasis::s3 {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// One connection pool (and DNS and TLS session cache) for every thread:
// transfer threads come and go, and each new one would otherwise open (and
// on AWS, TLS-handshake) a connection of its own.
struct SharedPool {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
};

SharedPool& Pool() {
  static SharedPool* const pool = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto* p = new SharedPool;  // never freed: handles may use it until exit
    p->share = curl_share_init();
    curl_share_setopt(
        p->share, CURLSHOPT_LOCKFUNC, +[](CURL*, curl_lock_data data, curl_lock_access, void* ctx) {
          static_cast<SharedPool*>(ctx)->locks[data].lock();
        });
    curl_share_setopt(
        p->share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data data, void* ctx) {
          static_cast<SharedPool*>(ctx)->locks[data].unlock();
        });
    curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return p;
  }();
  return *pool;
}

CURL* ThreadHandle() {
  SharedPool& pool = Pool();
  thread_local std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  curl_easy_reset(handle.get());
  curl_easy_setopt(handle.get(), CURLOPT_SHARE, pool.share);
  return handle.get();
}

struct UploadState {
  const char* data;
  size_t left;
};

size_t ReadBody(char* out, size_t size, size_t n, void* ctx) {
  auto* s = static_cast<UploadState*>(ctx);
  size_t k = std::min(size * n, s->left);
  std::memcpy(out, s->data, k);
  s->data += k;
  s->left -= k;
  return k;
}

struct BodyTarget {
  HttpResponse* response;
  std::string* body;  // the sink, or &response->body
};

size_t WriteBody(char* in, size_t size, size_t n, void* ctx) {
  auto* target = static_cast<BodyTarget*>(ctx);
  HttpResponse* response = target->response;
  std::string& body = *target->body;
  if (body.empty()) {
    // One allocation of the announced size: ranged GETs of whole parts
    // would otherwise grow by doubling and hold twice their size.
    auto it = response->headers.find("content-length");
    if (it != response->headers.end()) {
      uint64_t announced = std::strtoull(it->second.c_str(), nullptr, 10);
      if (announced <= (1ull << 30)) body.reserve(announced);
    }
  }
  body.append(in, size * n);
  return size * n;
}

size_t WriteHeader(char* in, size_t size, size_t n, void* ctx) {
  std::string line(in, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    static_cast<HttpResponse*>(ctx)->headers[name] = value;
  }
  return size * n;
}

}  // namespace

Result<HttpResponse> PerformHttp(const HttpRequest& request, const HttpTimeouts& timeouts) {
  CURL* c = ThreadHandle();
  if (c == nullptr) return Status::Internal("cannot initialise libcurl");
  HttpResponse response;
  UploadState upload{request.body, request.body_size};
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  // curl would add "Expect: 100-continue" for large bodies: one more round trip.
  headers = curl_slist_append(headers, "Expect:");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeouts.total_ms);
  // A connection that stalls below 1 KiB/s for 30 s is dead even if the
  // total timeout is far away.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  if (request.body_sink != nullptr) request.body_sink->clear();
  BodyTarget target{&response, request.body_sink ? request.body_sink : &response.body};
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &target);
  // Larger buffers: fewer callbacks and syscalls per part.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  if (request.head) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string url = request.url.substr(0, request.url.find('?'));
    return Status::Unavailable("cannot reach " + url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  // Error documents are read from the response, wherever the body went.
  if (request.body_sink != nullptr && (response.status < 200 || response.status >= 300))
    response.body = *request.body_sink;
  return response;
}

}  // namespace stasis::s3
