#include "plugins/s3/abort_janitor.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace stasis::s3 {

AbortJanitor::AbortJanitor(std::string state_file, ClientFor client_for)
    : state_file_(std::move(state_file)), client_for_(std::move(client_for)) {
  if (!state_file_.empty()) {
    std::ifstream in(state_file_);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_array()) {
      for (const auto& e : j) {
        if (e.is_object() && e.contains("bucket") && e.contains("key") && e.contains("upload_id"))
          pending_.push_back({e["bucket"].get<std::string>(), e["key"].get<std::string>(),
                              e["upload_id"].get<std::string>()});
      }
    }
  }
  thread_ = std::thread([this] { Run(); });
}

AbortJanitor::~AbortJanitor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AbortJanitor::Add(PendingAbort pending) {
  std::lock_guard lock(mu_);
  pending_.push_back(std::move(pending));
  Save();
  cv_.notify_all();
}

size_t AbortJanitor::PendingCount() {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void AbortJanitor::Save() {
  if (state_file_.empty()) return;
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : pending_)
    j.push_back({{"bucket", p.bucket}, {"key", p.key}, {"upload_id", p.upload_id}});
  std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump();
    if (!out) return;
  }
  ::chmod(tmp.c_str(), 0600);
  std::rename(tmp.c_str(), state_file_.c_str());
}

void AbortJanitor::Run() {
  auto pause = std::chrono::seconds(1);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, pause, [this] { return stopping_; });
    if (stopping_) return;
    if (pending_.empty()) {
      pause = std::chrono::seconds(1);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      continue;
    }
    std::vector<PendingAbort> batch = pending_;
    lock.unlock();
    std::vector<PendingAbort> still;
    for (const auto& p : batch) {
      auto client = client_for_(p.bucket);
      Status st =
          client.ok() ? (*client)->AbortMultipartUpload(p.key, p.upload_id) : client.status();
      // NotFound (already gone) counts as done; AbortMultipartUpload maps it.
      if (!st.ok()) still.push_back(p);
    }
    lock.lock();
    // Keep what failed, plus whatever was added meanwhile.
    std::vector<PendingAbort> next = still;
    for (size_t i = batch.size(); i < pending_.size(); ++i) next.push_back(pending_[i]);
    pending_ = std::move(next);
    Save();
    pause = still.empty() ? std::chrono::seconds(1) : std::min(pause * 2, std::chrono::seconds(30));
  }
}

}  // namespace stasis::s3
