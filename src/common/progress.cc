#include "common/progress.h"

#include <algorithm>
#include <cstdio>

#include "common/time_format.h"

namespace stasis {

Progress::Progress() : started_(std::chrono::steady_clock::now()) {}

void Progress::SetPhase(const std::string& phase, uint64_t total_bytes) {
  std::lock_guard lock(mu_);
  phase_ = phase;
  started_ = std::chrono::steady_clock::now();
  total_.store(total_bytes, std::memory_order_relaxed);
  bytes_.store(0, std::memory_order_relaxed);
}

int Progress::AddStoredSource(std::function<uint64_t()> source) {
  std::lock_guard lock(mu_);
  int id = next_source_++;
  stored_sources_.emplace(id, std::move(source));
  return id;
}

void Progress::RemoveStoredSource(int id) {
  std::lock_guard lock(mu_);
  stored_sources_.erase(id);
}

Progress::Snapshot Progress::Read() const {
  Snapshot s;
  std::lock_guard lock(mu_);
  s.phase = phase_;
  s.has_stored = !stored_sources_.empty();
  for (const auto& [id, source] : stored_sources_) s.stored += source();
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.total = total_.load(std::memory_order_relaxed);
  s.phase_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return s;
}

std::shared_ptr<Progress> ProgressBoard::Begin(const std::string& id) {
  // The deleter unregisters: the board never outlives the daemon's
  // operations, and an entry never outlives its operation.
  auto* raw = new Progress();
  std::shared_ptr<Progress> p(raw, [this, id](Progress* q) {
    if (!id.empty()) {
      std::lock_guard lock(mu_);
      auto it = ops_.find(id);
      if (it != ops_.end() && it->second.expired()) ops_.erase(it);
    }
    delete q;
  });
  if (!id.empty()) {
    std::lock_guard lock(mu_);
    ops_[id] = p;
  }
  return p;
}

std::shared_ptr<const Progress> ProgressBoard::Find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = ops_.find(id);
  return it == ops_.end() ? nullptr : it->second.lock();
}

std::string ProgressLine(const Progress::Snapshot& s) {
  std::string line = s.phase.empty() ? "starting" : s.phase;
  if (s.bytes == 0 && s.total == 0) {
    if (s.has_stored) line += ": " + HumanBytes(s.stored) + " stored";
    return line;
  }
  line += " " + HumanBytes(s.bytes);
  if (s.total > 0) {
    line += " of " + HumanBytes(s.total);
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%d%%)",
                  static_cast<int>(100.0 * static_cast<double>(std::min(s.bytes, s.total)) /
                                   static_cast<double>(s.total)));
    line += pct;
  }
  if (s.phase_seconds > 0.2) {
    line += ", " +
            HumanBytes(static_cast<uint64_t>(static_cast<double>(s.bytes) / s.phase_seconds)) +
            "/s";
  }
  if (s.has_stored) line += ", " + HumanBytes(s.stored) + " stored";
  return line;
}

}  // namespace stasis
