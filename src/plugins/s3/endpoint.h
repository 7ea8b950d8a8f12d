// Where requests for a bucket go: path-style on custom endpoints,
// virtual-hosted style on AWS, the zonal endpoint for directory buckets.
#pragma once

#include <string>

#include "common/result.h"
#include "plugins/s3/s3_options.h"

namespace stasis::s3 {

struct BucketEndpoint {
  std::string base_url;     // scheme://host[:port], no trailing '/'
  std::string host;         // the Host header (with :port when not default)
  std::string path_prefix;  // "/bucket" for path-style, "" for virtual-hosted
  std::string service;      // "s3", or "s3express" for directory buckets
  bool directory_bucket = false;
};

// AWS general purpose: https://<bucket>.s3.<region>.amazonaws.com.
// Directory bucket "name--<azid>--x-s3": https://<bucket>.s3express-<azid>.<region>.amazonaws.com.
// Custom endpoint: path-style (<endpoint>/<bucket>) unless !path_style and
// the endpoint is https (virtual-hosted on the endpoint's host).
// InvalidArgument for a malformed endpoint URL.
Result<BucketEndpoint> ResolveBucketEndpoint(const S3Options& options, const std::string& region,
                                             const std::string& bucket);

// The service endpoint itself (no bucket), for ListBuckets: the custom
// endpoint, or https://s3.<region>.amazonaws.com.
Result<BucketEndpoint> ResolveServiceEndpoint(const S3Options& options, const std::string& region);

// The path of `key` under the endpoint: path_prefix + "/" + UriEncode(key, false).
std::string ObjectPath(const BucketEndpoint& endpoint, const std::string& key);

}  // namespace stasis::s3
