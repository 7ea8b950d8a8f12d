#include "archive/manifest.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/redact.h"

namespace stasis::archive {

namespace {

using nlohmann::json;

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

bool IsSafeMemberName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name.find('/') == std::string::npos &&
         name != "." && name != ".." && name.find('\0') == std::string::npos;
}

namespace {

// A uid or gid: absent is 0 (root's, as before owners were recorded);
// anything but an integer in 0..2^32-1 is Corruption, never a wrapped id.
Result<uint32_t> IdField(const json& job, const char* key) {
  if (!job.contains(key)) return uint32_t{0};
  const json& v = job[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() > UINT32_MAX)
    return Status::Corruption(std::string("the checkpoint manifest's job ") + key +
                              " is not a valid id");
  return v.get<uint32_t>();
}

}  // namespace

std::string ManifestToJson(const Manifest& m) {
  json files = json::array();
  for (const FileEntry& f : m.files)
    files.push_back({{"name", f.name}, {"size", f.size}, {"sha256", f.sha256}});
  json j = {
      {"format_version", m.format_version},
      {"kind", m.kind},
      {"job_id", m.job_id},
      {"job_type", m.job_type},
      {"pid", m.pid},
      {"job",
       {{"argv", m.job.argv},
        {"cwd", m.job.cwd},
        {"env", RedactEnv(m.job.env)},
        {"log_path", m.job.log_path},
        {"pid_namespace", m.job.pid_namespace},
        {"uid", m.job.uid},
        {"gid", m.job.gid},
        {"groups", m.job.groups}}},
      {"criu_version", m.criu_version},
      {"kernel", m.kernel},
      {"host", m.host},
      {"created", m.created},
      {"created_unix", m.created_unix},
      {"compression", m.compression},
      {"tcp_established", m.tcp_established},
      {"shell_job", m.shell_job},
      {"file_locks", m.file_locks},
      {"ext_unix_sk", m.ext_unix_sk},
      {"files", files},
      {"total_bytes", m.total_bytes},
  };
  // argv and env may hold bytes that are not UTF-8: replaced, never thrown.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string TextToSign(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  j.erase("mac");
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SealedManifestJson(const Manifest& m, const ManifestSigner* signer) {
  std::string text = ManifestToJson(m);
  if (signer == nullptr) return text;
  json j = json::parse(text);
  j["signed_by"] = signer->KeyId();
  j["mac"] = signer->Mac(TextToSign(j.dump(-1, ' ', false, json::error_handler_t::replace)));
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

Result<Manifest> ManifestFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption("the checkpoint manifest is not valid JSON");
  try {
    Manifest m;
    if (!j.contains("format_version") || !j["format_version"].is_number_integer())
      return Status::Corruption("the checkpoint manifest has no format_version");
    m.format_version = j["format_version"].get<int>();
    if (m.format_version > kManifestFormatVersion)
      return Status::Corruption("checkpoint manifest format version " +
                                std::to_string(m.format_version) +
                                " is newer than this stasis supports (" +
                                std::to_string(kManifestFormatVersion) + "); upgrade stasis");
    if (m.format_version < 1)
      return Status::Corruption("the checkpoint manifest has an invalid format_version");
    m.kind = j.at("kind").get<std::string>();
    m.job_id = j.value("job_id", "");
    m.job_type = j.value("job_type", "process");
    m.pid = j.value("pid", 0);
    if (j.contains("job")) {
      const json& job = j["job"];
      m.job.argv = job.value("argv", std::vector<std::string>{});
      m.job.cwd = job.value("cwd", "");
      m.job.env = job.value("env", std::vector<std::string>{});
      m.job.log_path = job.value("log_path", "");
      m.job.pid_namespace = job.value("pid_namespace", false);
      // Checkpoints made before owners were recorded are root's.
      ASSIGN_OR_RETURN(m.job.uid, IdField(job, "uid"));
      ASSIGN_OR_RETURN(m.job.gid, IdField(job, "gid"));
      if (job.contains("groups")) {
        if (!job["groups"].is_array())
          return Status::Corruption("the checkpoint manifest's job groups are malformed");
        for (const json& g : job["groups"]) {
          if (!g.is_number_unsigned() || g.get<uint64_t>() > UINT32_MAX)
            return Status::Corruption("the checkpoint manifest's job groups are malformed");
          m.job.groups.push_back(g.get<uint32_t>());
        }
      }
    }
    m.criu_version = j.value("criu_version", "");
    m.kernel = j.value("kernel", "");
    m.host = j.value("host", "");
    m.created = j.value("created", "");
    m.created_unix = j.value("created_unix", int64_t{0});
    m.compression = j.value("compression", "");
    m.tcp_established = j.value("tcp_established", false);
    m.shell_job = j.value("shell_job", false);
    m.file_locks = j.value("file_locks", false);
    m.ext_unix_sk = j.value("ext_unix_sk", false);
    m.total_bytes = j.value("total_bytes", uint64_t{0});
    if (j.contains("mac")) {
      if (!j["mac"].is_string())
        return Status::Corruption("the checkpoint manifest's mac is malformed");
      m.seal.mac = j["mac"].get<std::string>();
      m.seal.signed_by = j.value("signed_by", "");
      m.seal.signed_text = TextToSign(text);
    }
    uint64_t sum = 0;
    for (const json& f : j.value("files", json::array())) {
      FileEntry e;
      e.name = f.at("name").get<std::string>();
      e.size = f.at("size").get<uint64_t>();
      e.sha256 = f.at("sha256").get<std::string>();
      if (!IsSafeMemberName(e.name))
        return Status::Corruption("the checkpoint manifest lists an unsafe file name '" + e.name +
                                  "'");
      if (!IsHex64(e.sha256))
        return Status::Corruption("the checkpoint manifest has a malformed checksum for " + e.name);
      sum += e.size;
      m.files.push_back(std::move(e));
    }
    if (!m.files.empty() && sum != m.total_bytes)
      return Status::Corruption("the checkpoint manifest's total_bytes does not match its files");
    return m;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("the checkpoint manifest is malformed: ") + e.what());
  }
}

}  // namespace stasis::archive
