#include "common/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

namespace stasis {

namespace {

constexpr size_t kMinSecretBytes = 8;
constexpr char kRedacted[] = "<redacted>";

struct SecretValues {
  std::mutex mu;
  std::set<std::string, std::less<>> values;
};

SecretValues& Secrets() {
  static SecretValues* secrets = new SecretValues;  // never destroyed: logs run until exit
  return *secrets;
}

}  // namespace

bool IsSecretEnvName(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* word :
       {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "API_KEY", "APIKEY"})
    if (upper.find(word) != std::string::npos) return true;
  for (std::string_view suffix : {"_KEY", "_SECRET", "_TOKEN", "_PASSWORD"})
    if (upper.ends_with(suffix)) return true;
  return false;
}

void AddSecretValue(std::string_view value) {
  if (value.size() < kMinSecretBytes) return;
  SecretValues& s = Secrets();
  std::lock_guard lock(s.mu);
  s.values.emplace(value);
}

bool IsKnownSecretValue(std::string_view value) {
  SecretValues& s = Secrets();
  std::lock_guard lock(s.mu);
  return s.values.find(value) != s.values.end();
}

std::vector<std::string> RedactEnv(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const std::string& e : env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      out.push_back(RedactText(e));
      continue;
    }
    std::string_view value = std::string_view(e).substr(eq + 1);
    if (IsSecretEnvName(std::string_view(e).substr(0, eq)) || IsKnownSecretValue(value))
      out.push_back(e.substr(0, eq + 1) + kRedacted);
    else
      out.push_back(e.substr(0, eq + 1) + RedactText(std::string(value)));
  }
  return out;
}

std::string RedactText(std::string text) {
  SecretValues& s = Secrets();
  std::lock_guard lock(s.mu);
  // Longest first: a secret that begins another must not leave the
  // longer one's tail behind.
  std::vector<const std::string*> longest_first;
  for (const std::string& secret : s.values) longest_first.push_back(&secret);
  std::stable_sort(
      longest_first.begin(), longest_first.end(),
      [](const std::string* a, const std::string* b) { return a->size() > b->size(); });
  for (const std::string* p : longest_first) {
    const std::string& secret = *p;
    for (size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + sizeof kRedacted - 1))
      text.replace(at, secret.size(), kRedacted);
  }
  return text;
}

}  // namespace stasis
