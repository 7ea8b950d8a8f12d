#include "plugins/s3/endpoint.h"

#include "plugins/s3/sigv4.h"
#include "storage/location.h"

namespace stasis::s3 {

namespace {

struct Url {
  std::string scheme, host;  // host includes ":port" when given
};

Result<Url> ParseEndpoint(const std::string& endpoint) {
  size_t sep = endpoint.find("://");
  Url u;
  if (sep == std::string::npos)
    return Status::InvalidArgument("aws.endpoint \"" + endpoint +
                                   "\" is not a URL; write it as http(s)://host[:port]");
  u.scheme = endpoint.substr(0, sep);
  if (u.scheme != "http" && u.scheme != "https")
    return Status::InvalidArgument("aws.endpoint \"" + endpoint +
                                   "\" must start with http:// or https://");
  std::string rest = endpoint.substr(sep + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos || rest.find('@') != std::string::npos)
    return Status::InvalidArgument("aws.endpoint \"" + endpoint +
                                   "\" must be just scheme://host[:port], without a path");
  u.host = rest;
  return u;
}

// "name--use1-az4--x-s3" -> "use1-az4".
std::string AvailabilityZoneId(const std::string& bucket) {
  std::string rest = bucket.substr(0, bucket.size() - std::string("--x-s3").size());
  return rest.substr(rest.rfind("--") + 2);
}

}  // namespace

Result<BucketEndpoint> ResolveBucketEndpoint(const S3Options& options, const std::string& region,
                                             const std::string& bucket) {
  BucketEndpoint e;
  e.directory_bucket = storage::IsDirectoryBucket(bucket);
  e.service = e.directory_bucket ? "s3express" : "s3";
  if (!options.endpoint.empty()) {
    ASSIGN_OR_RETURN(Url u, ParseEndpoint(options.endpoint));
    // Custom servers (MinIO, Ceph, s3rver) rarely have wildcard DNS.
    if (options.path_style || u.scheme == "http") {
      e.base_url = u.scheme + "://" + u.host;
      e.host = u.host;
      e.path_prefix = "/" + bucket;
    } else {
      e.host = bucket + "." + u.host;
      e.base_url = u.scheme + "://" + e.host;
    }
    return e;
  }
  if (e.directory_bucket) {
    // Directory buckets are only reachable through their zone's endpoint.
    e.host = bucket + ".s3express-" + AvailabilityZoneId(bucket) + "." + region + ".amazonaws.com";
  } else if (options.path_style) {
    e.host = "s3." + region + ".amazonaws.com";
    e.path_prefix = "/" + bucket;
  } else {
    e.host = bucket + ".s3." + region + ".amazonaws.com";
  }
  e.base_url = "https://" + e.host;
  return e;
}

Result<BucketEndpoint> ResolveServiceEndpoint(const S3Options& options, const std::string& region) {
  BucketEndpoint e;
  e.service = "s3";
  if (!options.endpoint.empty()) {
    ASSIGN_OR_RETURN(Url u, ParseEndpoint(options.endpoint));
    e.host = u.host;
    e.base_url = u.scheme + "://" + u.host;
    return e;
  }
  e.host = "s3." + region + ".amazonaws.com";
  e.base_url = "https://" + e.host;
  return e;
}

std::string ObjectPath(const BucketEndpoint& endpoint, const std::string& key) {
  return endpoint.path_prefix + "/" + UriEncode(key, false);
}

}  // namespace stasis::s3
