// The buffer memory a daemon's dumps and restores may use together. Each
// operation leases its estimated need before it starts (before anything is
// frozen); operations that do not fit wait their turn, first come first
// served, so sixteen dumps at once cost the daemon what the budget allows,
// not sixteen times one dump.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace stasis {

class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t total_mib);

  // Gives its MiB back when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    int64_t mib() const { return mib_; }

   private:
    friend class MemoryBudget;
    Lease(MemoryBudget* budget, int64_t mib) : budget_(budget), mib_(mib) {}
    MemoryBudget* budget_ = nullptr;
    int64_t mib_ = 0;
  };

  // Waits until `mib` (capped at the whole budget, so an operation larger
  // than it still runs, alone) is free and every earlier caller has been
  // served. `on_wait(in_use_mib)` is called once if the caller has to wait.
  Lease Acquire(int64_t mib, const std::function<void(int64_t in_use_mib)>& on_wait = {});

  int64_t total_mib() const { return total_; }
  int64_t in_use_mib();

 private:
  void Release(int64_t mib);

  const int64_t total_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t in_use_ = 0;        // guarded by mu_
  uint64_t next_ticket_ = 0;  // guarded by mu_
  uint64_t serving_ = 0;      // guarded by mu_: the ticket whose turn it is
};

}  // namespace stasis
