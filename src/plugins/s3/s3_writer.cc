#include "plugins/s3/s3_writer.h"

#include <algorithm>

namespace stasis::s3 {

S3Writer::S3Writer(std::shared_ptr<S3Client> client, std::string key, size_t part_size,
                   int concurrency, AbortJanitor* janitor, std::shared_ptr<PartBudget> budget)
    : client_(std::move(client)),
      key_(std::move(key)),
      part_size_(part_size),
      concurrency_(std::max(1, concurrency)),
      janitor_(janitor),
      budget_(std::move(budget)) {
  buffer_.reserve(part_size_);
}

S3Writer::~S3Writer() {
  if (!done_) Abort();
}

Status S3Writer::FirstError() {
  std::lock_guard lock(mu_);
  return error_;
}

Status S3Writer::Append(const void* data, size_t size) {
  if (done_) return Status::FailedPrecondition("the upload of " + key_ + " is already finished");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    size_t take = std::min(size, part_size_ - buffer_.size());
    buffer_.append(p, take);
    p += take;
    size -= take;
    bytes_ += take;
    if (buffer_.size() == part_size_) {
      Status st = Flush();
      if (!st.ok()) {
        Abort();
        return st;
      }
    }
  }
  return Status::OK();
}

Status S3Writer::Flush() {
  if (upload_id_.empty()) {
    ASSIGN_OR_RETURN(upload_id_, client_->CreateMultipartUpload(key_));
    for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { Worker(); });
  }
  std::unique_lock lock(mu_);
  // The memory budget: wait while every worker is busy and one part waits.
  cv_.wait(lock, [this] {
    return !error_.ok() || static_cast<int>(queue_.size()) + in_flight_ < concurrency_ + 1;
  });
  if (!error_.ok()) return error_;
  if (budget_) {
    // Not under mu_: the workers must be able to finish parts meanwhile.
    lock.unlock();
    budget_->Acquire();
    lock.lock();
    if (!error_.ok()) {
      budget_->Release();
      return error_;
    }
  }
  queue_.push_back({next_part_++, std::move(buffer_)});
  // A sent part's buffer, if one is back: its pages are already mapped.
  if (!spare_.empty()) {
    buffer_ = std::move(spare_.back());
    spare_.pop_back();
    buffer_.clear();
  } else {
    buffer_ = std::string();
    buffer_.reserve(part_size_);
  }
  cv_.notify_all();
  return Status::OK();
}

void S3Writer::Worker() {
  for (;;) {
    Part part;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      part = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    auto done = client_->UploadPart(key_, upload_id_, part.number, part.data.data(),
                                    part.data.size(), &cancelled_);
    ReleaseSlots(1);
    if (done.ok()) stored_ += part.data.size();
    std::lock_guard lock(mu_);
    --in_flight_;
    // One sent buffer is kept for the next part (its pages are mapped);
    // more would be idle memory outside the shared budget.
    if (spare_.empty()) spare_.push_back(std::move(part.data));
    if (done.ok()) {
      completed_.push_back(*done);
    } else if (error_.ok()) {
      error_ = done.status();
      ReleaseSlots(queue_.size());
      queue_.clear();  // no point sending more of a doomed upload
    }
    cv_.notify_all();
  }
}

void S3Writer::StopWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

Status S3Writer::Commit() {
  if (done_) return Status::FailedPrecondition("the upload of " + key_ + " is already finished");
  if (upload_id_.empty()) {
    Status st = client_->PutObject(key_, buffer_.data(), buffer_.size());
    if (st.ok()) stored_ = buffer_.size();
    done_ = true;
    return st;
  }
  Status st = buffer_.empty() ? Status::OK() : Flush();
  StopWorkers();  // drains the queue first: workers leave only when it is empty
  if (st.ok()) st = FirstError();
  if (st.ok()) {
    std::sort(completed_.begin(), completed_.end(),
              [](const CompletedPart& a, const CompletedPart& b) { return a.number < b.number; });
    st = client_->CompleteMultipartUpload(key_, upload_id_, completed_);
  }
  if (!st.ok()) {
    Abort();
    return st;
  }
  done_ = true;
  return Status::OK();
}

void S3Writer::Abort() noexcept {
  if (done_) return;
  done_ = true;
  cancelled_ = true;  // parts still retrying give up: the upload is going
  {
    std::lock_guard lock(mu_);
    ReleaseSlots(queue_.size());
    queue_.clear();
  }
  StopWorkers();
  // A server that is gone cannot be told now: the janitor tells it later.
  // The caller's error already says why the upload failed.
  if (!upload_id_.empty()) {
    // With a janitor to fall back on, two tries are enough here: the process
    // of a failed dump stays frozen until its writers are done.
    Status st = client_->AbortMultipartUpload(key_, upload_id_, janitor_ != nullptr ? 2 : 0);
    if (!st.ok() && janitor_ != nullptr) janitor_->Add({client_->bucket(), key_, upload_id_});
  }
}

}  // namespace stasis::s3
