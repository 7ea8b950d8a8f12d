// storage::Writer for one S3 object. Small objects go up in one PUT at
// Commit(); larger ones become a multipart upload whose parts are sent by
// `concurrency` workers while the caller keeps appending. Memory is bounded:
// at most concurrency + 1 part buffers exist, and Append() waits for a free
// one, and for a slot of the storage's PartBudget, which all its writers
// share. Nothing is visible until CompleteMultipartUpload; any failure,
// Abort() or destruction without Commit() aborts the upload.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugins/s3/abort_janitor.h"
#include "plugins/s3/part_budget.h"
#include "plugins/s3/s3_client.h"
#include "storage/storage.h"

namespace stasis::s3 {

class S3Writer final : public storage::Writer {
 public:
  // `janitor`, when given, takes over an upload whose abort failed;
  // `budget`, when given, bounds the parts of all writers sharing it.
  S3Writer(std::shared_ptr<S3Client> client, std::string key, size_t part_size, int concurrency,
           AbortJanitor* janitor = nullptr, std::shared_ptr<PartBudget> budget = nullptr);
  ~S3Writer() override;

  Status Append(const void* data, size_t size) override;
  Status Commit() override;
  void Abort() noexcept override;
  uint64_t BytesWritten() const override { return bytes_; }
  uint64_t BytesStored() const override { return stored_.load(); }

 private:
  struct Part {
    int number;
    std::string data;
  };
  // Hands the current buffer to the workers, starting the upload if needed.
  Status Flush();
  void Worker();
  Status FirstError();
  void StopWorkers();
  void ReleaseSlots(size_t n) {
    if (budget_) budget_->Release(static_cast<int>(n));
  }

  const std::shared_ptr<S3Client> client_;
  const std::string key_;
  const size_t part_size_;
  const int concurrency_;
  AbortJanitor* const janitor_;
  const std::shared_ptr<PartBudget> budget_;

  std::string buffer_;
  uint64_t bytes_ = 0;
  std::atomic<uint64_t> stored_{0};     // in parts the server confirmed
  std::atomic<bool> cancelled_{false};  // set by Abort(): in-flight parts stop retrying
  int next_part_ = 1;
  std::string upload_id_;  // "" until the first part is full
  bool done_ = false;      // committed or aborted

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Part> queue_;                // guarded by mu_
  int in_flight_ = 0;                     // guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  Status error_;                          // guarded by mu_: the first failure
  std::vector<CompletedPart> completed_;  // guarded by mu_
  std::vector<std::string> spare_;        // guarded by mu_: a sent part's buffer, at most one
  std::vector<std::thread> workers_;
};

}  // namespace stasis::s3
