// `stasis config show`: the effective config as JSON, in the file's shape,
// so that it can be pasted back into config.json.
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "config/config_internal.h"

namespace stasis::config {

std::string ConfigToDisplayJson(const Config& config) {
  // ordered_json keeps the table's order, which is the documented one.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const internal::KeyInfo& key : internal::AllKeys()) {
    internal::Value value = internal::GetValue(key, config);
    nlohmann::ordered_json shown;
    if (key.secret) {
      // Only whether a secret is set is shown, never any part of it.
      shown = std::get<std::string>(value).empty() ? "" : "(set)";
    } else {
      std::visit([&shown](const auto& v) { shown = v; }, value);
    }
    size_t dot = key.name.find('.');
    if (dot == std::string_view::npos) {
      out[std::string(key.name)] = std::move(shown);
    } else {
      out[std::string(key.name.substr(0, dot))][std::string(key.name.substr(dot + 1))] =
          std::move(shown);
    }
  }
  // Invalid UTF-8 in a path is shown replaced rather than thrown about.
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string AwsConfigJson(const Config& config) {
  const AwsConfig& a = config.aws;
  nlohmann::json j = {{"region", a.region},
                      {"endpoint", a.endpoint},
                      {"access_key_id", a.access_key_id},
                      {"secret_access_key", a.secret_access_key},
                      {"session_token", a.session_token},
                      {"profile", a.profile},
                      {"path_style", a.path_style},
                      {"part_size", static_cast<int64_t>(a.part_size_mib) << 20},
                      {"concurrency", a.concurrency},
                      {"payload_signing", a.payload_signing},
                      {"sse", a.sse},
                      {"sse_kms_key_id", a.sse_kms_key_id},
                      {"state_dir", config.state_dir}};
  return j.dump();
}

}  // namespace stasis::config
