// The memory budget of every upload of one S3 storage together: a part
// takes a slot from when it is queued until its upload ends. Without it,
// the N shards of a streamed dump would each hold part size x (concurrency
// + 1) bytes; with it, they share that much and the connection pool.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace stasis::s3 {

class PartBudget {
 public:
  explicit PartBudget(int slots) : slots_(slots > 0 ? slots : 1), free_(slots_) {}

  // Waits for a free slot. Slots are only held by parts that are queued or
  // uploading, and those always finish, so the wait always ends.
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return free_ > 0; });
    --free_;
    peak_ = std::max(peak_, slots_ - free_);
  }
  void Release(int n = 1) {
    if (n <= 0) return;
    {
      std::lock_guard lock(mu_);
      free_ += n;
    }
    cv_.notify_all();
  }

  // For tests and health: slots free now, and the most ever taken at once.
  int free_slots() {
    std::lock_guard lock(mu_);
    return free_;
  }
  int peak() {
    std::lock_guard lock(mu_);
    return peak_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int slots_;
  int free_;
  int peak_ = 0;
};

}  // namespace stasis::s3
