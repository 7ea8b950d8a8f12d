#include "daemon/dump_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "common/log.h"
#include "common/unique_fd.h"

namespace stasis::daemon {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Status WriteDurably(const std::string& dir, const std::string& name, const std::string& text) {
  std::string tmp = dir + "/." + name + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus("cannot write " + tmp, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0)
    return ErrnoStatus("cannot write " + tmp, errno);
  fd.Reset();
  if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0)
    return ErrnoStatus("cannot move " + tmp + " into place", errno);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) ::fsync(dfd.get());
  return Status::OK();
}

}  // namespace

Result<std::string> DumpJournal::Begin(DumpJournalEntry e) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::IOError("cannot create " + dir_ + ": " + ec.message());
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[24];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
  e.id = id;
  json j = {{"pid", e.pid},
            {"start_time", e.start_time},
            {"job_id", e.job_id},
            {"location", e.location},
            {"streamed", e.streamed}};
  RETURN_IF_ERROR(WriteDurably(dir_, e.id + ".json", j.dump()));
  return e.id;
}

void DumpJournal::End(const std::string& id) {
  std::string path = dir_ + "/" + id + ".json";
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    STASIS_LOG(Error) << "cannot remove " << path << ": " << std::strerror(errno);
}

std::vector<DumpJournalEntry> DumpJournal::Pending() const {
  std::vector<DumpJournalEntry> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir_, ec)) {
    const std::string name = f.path().filename().string();
    if (name.starts_with(".") || !name.ends_with(".json")) continue;
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    try {
      DumpJournalEntry e;
      e.id = name.substr(0, name.size() - 5);
      e.pid = j.at("pid").get<int>();
      e.start_time = j.at("start_time").get<uint64_t>();
      e.job_id = j.at("job_id").get<std::string>();
      e.location = j.at("location").get<std::string>();
      e.streamed = j.at("streamed").get<bool>();
      out.push_back(std::move(e));
    } catch (const json::exception&) {
      STASIS_LOG(Warn) << "ignoring the unreadable dump journal entry " << f.path().string();
    }
  }
  return out;
}

}  // namespace stasis::daemon
