// Keeping secrets out of what stasis writes down. A job's environment is
// recorded (registry, checkpoint manifests) for display; variables whose
// names say they hold a secret, and any whose value is a secret the daemon
// knows (its AWS secret and session token, its encryption and signing
// keys), are recorded as "NAME=<redacted>". Log lines lose those values too.
// The job itself still gets its real environment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stasis {

// True for names such as AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// DB_PASSWORD, GITHUB_TOKEN, *_API_KEY, *_PRIVATE_KEY, *CREDENTIALS*, and
// any name ending in _KEY, _SECRET, _TOKEN or _PASSWORD.
bool IsSecretEnvName(std::string_view name);
// Remembers a secret value (process-wide, thread-safe) so that it is
// redacted wherever it appears. Values shorter than 8 bytes are ignored:
// they would redact ordinary words.
void AddSecretValue(std::string_view value);
// True when `value` is one of the remembered secrets.
bool IsKnownSecretValue(std::string_view value);
// `env` ("NAME=value" entries) with secret values replaced.
std::vector<std::string> RedactEnv(const std::vector<std::string>& env);
// `text` with every remembered secret replaced by "<redacted>".
std::string RedactText(std::string text);

}  // namespace stasis
