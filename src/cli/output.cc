#include "cli/output.h"

#include <algorithm>
#include <iostream>

#include "common/time_format.h"

namespace stasis::cli {

std::string OrDash(const std::string& s) {
  return s.empty() ? "-" : s;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

nlohmann::json CheckpointToJson(const v1::Checkpoint& c) {
  nlohmann::json j = {{"job_id", c.job_id()},
                      {"path", c.location()},
                      {"created", c.created() ? Rfc3339Utc(c.created()) : ""},
                      {"created_unix", c.created()},
                      {"size", c.size()},
                      {"compression", c.compression()},
                      {"kind", c.kind()}};
  // Whether its manifest's MAC checks out under this host's keys.
  if (!c.authenticity().empty()) j["authenticity"] = c.authenticity();
  if (!c.criu_version().empty()) {
    j["pid"] = c.pid();
    j["criu_version"] = c.criu_version();
    j["kernel"] = c.kernel();
    j["host"] = c.host();
    j["job_type"] = c.job_type();
    j["argv"] = std::vector<std::string>(c.job().argv().begin(), c.job().argv().end());
  }
  return j;
}

nlohmann::json JobToJson(const v1::Job& job) {
  nlohmann::json j = {
      {"id", job.id()},
      {"type", job.type()},
      {"pid", job.pid()},
      {"status", job.status()},
      {"exit_code", job.exit_code()},
      {"created", job.created() ? Rfc3339Utc(job.created()) : ""},
      {"argv", std::vector<std::string>(job.spec().argv().begin(), job.spec().argv().end())},
      {"cwd", job.spec().cwd()},
      {"log", job.spec().log_path()}};
  if (!job.last_checkpoint().location().empty())
    j["last_checkpoint"] = CheckpointToJson(job.last_checkpoint());
  else
    j["last_checkpoint"] = nullptr;
  return j;
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2) << "\n";
}

}  // namespace stasis::cli
