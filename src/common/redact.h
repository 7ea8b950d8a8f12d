// Keeping secrets out of what stasis writes down. A job's environment is
// recorded (registry, checkpoint manifests) for display; variables whose
// names say they hold a secret are recorded as "NAME=<redacted>". The job
// itself still gets its real environment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stasis {

// True for names such as AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// DB_PASSWORD, GITHUB_TOKEN, *_API_KEY, *_PRIVATE_KEY, *CREDENTIALS*.
bool IsSecretEnvName(std::string_view name);
// `env` ("NAME=value" entries) with secret values replaced.
std::vector<std::string> RedactEnv(const std::vector<std::string>& env);

}  // namespace stasis
