// Progress of long operations (dumps, restores, copies), shared between the
// thread doing the work and whoever reports it. The worker bumps counters;
// readers take snapshots. Operations are named by an id the client picks,
// so a CLI can ask the daemon how its own dump is going.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace stasis {

class Progress {
 public:
  Progress();
  void SetPhase(const std::string& phase, uint64_t total_bytes = 0);
  void Add(uint64_t bytes) { bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  // What storage has acknowledged can trail what was handed to it by
  // buffers and the network (a slow S3 server); sources report it and Read()
  // sums them, so the display says both. A source is called under the
  // Progress's lock from the reading thread; it stays until removed.
  int AddStoredSource(std::function<uint64_t()> source);
  void RemoveStoredSource(int id);

  struct Snapshot {
    std::string phase;
    uint64_t bytes = 0;  // in this phase
    uint64_t total = 0;  // 0 when unknown
    double phase_seconds = 0;
    bool has_stored = false;  // a storage writer reports acknowledged bytes
    uint64_t stored = 0;      // acknowledged by storage, summed over writers
  };
  Snapshot Read() const;

 private:
  mutable std::mutex mu_;
  std::string phase_;                                        // guarded by mu_
  std::chrono::steady_clock::time_point started_;            // guarded by mu_
  std::map<int, std::function<uint64_t()>> stored_sources_;  // guarded by mu_
  int next_source_ = 1;                                      // guarded by mu_
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> bytes_{0};
};

// The operations in flight, by id.
class ProgressBoard {
 public:
  // Registers an operation; it is dropped when the returned handle goes.
  // An empty id gives a private Progress nobody can look up.
  std::shared_ptr<Progress> Begin(const std::string& id);
  std::shared_ptr<const Progress> Find(const std::string& id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<Progress>> ops_;  // guarded by mu_
};

// "dumping 512.0MiB of 1.0GiB (50%), 210.3MiB/s" for a terminal line.
std::string ProgressLine(const Progress::Snapshot& s);

}  // namespace stasis
