// The credential and region chain (DESIGN.md, S3): stasis config, then the
// environment, then ~/.aws/credentials and ~/.aws/config profiles.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "plugins/s3/s3_options.h"
#include "plugins/s3/sigv4.h"

namespace stasis::s3 {

// Environment lookup seam for tests.
using Env = std::function<std::optional<std::string>(const std::string&)>;
Env ProcessEnvironment();

struct ResolvedAccess {
  Credentials credentials;
  std::string region;
  std::string source;  // "config", "environment", "profile default (~/.aws/credentials)"
};

// Order: options' static keys; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// (+AWS_SESSION_TOKEN); the profile (options.profile, AWS_PROFILE, "default")
// in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, then in
// AWS_CONFIG_FILE or ~/.aws/config ("[profile name]" sections). Region:
// options.region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the
// config file, else "us-east-1". Fails with NotFound "no AWS credentials
// found: set aws.access_key_id ..., AWS_ACCESS_KEY_ID, or a profile in
// ~/.aws/credentials" (one sentence, never a secret).
Result<ResolvedAccess> ResolveAccess(const S3Options& options, const Env& env);

}  // namespace stasis::s3
