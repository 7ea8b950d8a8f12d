#include "plugins/s3/credentials.h"

#include <cstdlib>
#include <fstream>
#include <map>

namespace stasis::s3 {

namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The AWS CLI's INI dialect: [section], key = value, '#' and ';' comments.
IniFile ReadIni(const std::string& path) {
  IniFile out;
  std::ifstream in(path);
  std::string line, section;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    out[section][Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
  }
  return out;
}

std::string Get(const Env& env, const std::string& name) {
  auto v = env(name);
  return v ? *v : "";
}

std::string HomeFile(const Env& env, const std::string& override_var, const std::string& rel) {
  std::string p = Get(env, override_var);
  if (!p.empty()) return p;
  std::string home = Get(env, "HOME");
  return (home.empty() ? "/root" : home) + "/.aws/" + rel;
}

}  // namespace

Env ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

Result<ResolvedAccess> ResolveAccess(const S3Options& options, const Env& env) {
  ResolvedAccess out;
  std::string profile = options.profile;
  if (profile.empty()) profile = Get(env, "AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::string config_path = HomeFile(env, "AWS_CONFIG_FILE", "config");
  IniFile config = ReadIni(config_path);
  // ~/.aws/config names sections "profile x", except "default".
  const auto& profile_config = config[profile == "default" ? "default" : "profile " + profile];

  out.region = options.region;
  if (out.region.empty()) out.region = Get(env, "AWS_REGION");
  if (out.region.empty()) out.region = Get(env, "AWS_DEFAULT_REGION");
  if (out.region.empty() && profile_config.count("region"))
    out.region = profile_config.at("region");
  if (out.region.empty()) out.region = "us-east-1";

  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty())
      return Status::InvalidArgument(
          "aws.access_key_id and aws.secret_access_key must be set together");
    out.credentials = {options.access_key_id, options.secret_access_key, options.session_token, 0};
    out.source = "config";
    return out;
  }
  std::string id = Get(env, "AWS_ACCESS_KEY_ID"), secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!id.empty() && !secret.empty()) {
    out.credentials = {id, secret, Get(env, "AWS_SESSION_TOKEN"), 0};
    out.source = "environment";
    return out;
  }
  std::string creds_path = HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  IniFile creds = ReadIni(creds_path);
  const std::pair<const Section*, std::string> places[] = {{&creds[profile], creds_path},
                                                           {&profile_config, config_path}};
  for (const auto& [section, path] : places) {
    auto id_it = section->find("aws_access_key_id");
    auto secret_it = section->find("aws_secret_access_key");
    if (id_it == section->end() || secret_it == section->end()) continue;
    auto token_it = section->find("aws_session_token");
    out.credentials = {id_it->second, secret_it->second,
                       token_it == section->end() ? "" : token_it->second, 0};
    out.source = "profile " + profile + " (" + path + ")";
    return out;
  }
  return Status::NotFound(
      "no AWS credentials found: set aws.access_key_id and aws.secret_access_key in the stasis "
      "config, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile '" +
      profile + "' in " + creds_path);
}

}  // namespace stasis::s3
