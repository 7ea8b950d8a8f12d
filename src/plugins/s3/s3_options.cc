#include "plugins/s3/s3_options.h"

#include <nlohmann/json.hpp>

namespace stasis::s3 {

Result<S3Options> S3OptionsFromJson(const std::string& text) {
  using nlohmann::json;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("the S3 plugin configuration is not a JSON object");
  S3Options o;
  auto str = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::OK();
    if (!j[key].is_string())
      return Status::InvalidArgument(std::string("aws.") + key + " must be a string");
    *out = j[key].get<std::string>();
    return Status::OK();
  };
  auto num = [&](const char* key, auto* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::OK();
    if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
      return Status::InvalidArgument(std::string("aws.") + key + " must be a positive integer");
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(j[key].get<int64_t>());
    return Status::OK();
  };
  RETURN_IF_ERROR(str("region", &o.region));
  RETURN_IF_ERROR(str("endpoint", &o.endpoint));
  RETURN_IF_ERROR(str("access_key_id", &o.access_key_id));
  RETURN_IF_ERROR(str("secret_access_key", &o.secret_access_key));
  RETURN_IF_ERROR(str("session_token", &o.session_token));
  RETURN_IF_ERROR(str("profile", &o.profile));
  RETURN_IF_ERROR(str("payload_signing", &o.payload_signing));
  RETURN_IF_ERROR(str("state_dir", &o.state_dir));
  RETURN_IF_ERROR(str("sse", &o.sse));
  RETURN_IF_ERROR(str("sse_kms_key_id", &o.sse_kms_key_id));
  if (!o.sse.empty() && o.sse != "AES256" && o.sse != "aws:kms")
    return Status::InvalidArgument("aws.sse must be AES256 or aws:kms, not \"" + o.sse + "\"");
  if (!o.sse_kms_key_id.empty() && o.sse != "aws:kms")
    return Status::InvalidArgument("aws.sse_kms_key_id needs aws.sse set to aws:kms");
  if (o.payload_signing.empty()) o.payload_signing = "auto";
  if (o.payload_signing != "auto" && o.payload_signing != "always" && o.payload_signing != "never")
    return Status::InvalidArgument("aws.payload_signing must be auto, always or never, not \"" +
                                   o.payload_signing + "\"");
  if (j.contains("path_style")) {
    if (!j["path_style"].is_boolean())
      return Status::InvalidArgument("aws.path_style must be true or false");
    o.path_style = j["path_style"].get<bool>();
  }
  RETURN_IF_ERROR(num("part_size", &o.part_size));
  RETURN_IF_ERROR(num("concurrency", &o.concurrency));
  RETURN_IF_ERROR(num("max_attempts", &o.max_attempts));
  if (o.part_size < (5ull << 20))
    return Status::InvalidArgument("aws.part_size must be at least 5 MiB (S3's minimum part size)");
  return o;
}

}  // namespace stasis::s3
