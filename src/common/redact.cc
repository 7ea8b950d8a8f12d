#include "common/redact.h"

#include <algorithm>
#include <cctype>

namespace stasis {

bool IsSecretEnvName(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* word :
       {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "API_KEY", "APIKEY"})
    if (upper.find(word) != std::string::npos) return true;
  return false;
}

std::vector<std::string> RedactEnv(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const std::string& e : env) {
    size_t eq = e.find('=');
    if (eq != std::string::npos && IsSecretEnvName(std::string_view(e).substr(0, eq)))
      out.push_back(e.substr(0, eq + 1) + "<redacted>");
    else
      out.push_back(e);
  }
  return out;
}

}  // namespace stasis
