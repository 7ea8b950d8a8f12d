#include "plugins/s3/s3_reader.h"

#include <algorithm>
#include <cstring>

namespace stasis::s3 {

S3Reader::S3Reader(std::shared_ptr<S3Client> client, std::string key, uint64_t size, size_t chunk,
                   int concurrency)
    : client_(std::move(client)),
      key_(std::move(key)),
      size_(size),
      chunk_(chunk),
      concurrency_(std::max(1, concurrency)) {}

S3Reader::~S3Reader() {
  // Futures from std::async join in their destructors; wait here so that
  // no request outlives the client.
  for (auto& f : pending_) f.wait();
}

void S3Reader::Prefetch() {
  while (static_cast<int>(pending_.size()) < concurrency_ && next_offset_ < size_) {
    uint64_t offset = next_offset_;
    uint64_t n = std::min<uint64_t>(chunk_, size_ - offset);
    next_offset_ += n;
    std::string buffer;
    if (!spare_.empty()) {
      buffer = std::move(spare_.back());
      spare_.pop_back();
    }
    pending_.push_back(std::async(std::launch::async,
                                  [client = client_, key = key_, offset, n,
                                   buffer = std::move(buffer)]() mutable -> Result<std::string> {
                                    RETURN_IF_ERROR(client->GetRangeInto(key, offset, n, &buffer));
                                    return std::move(buffer);
                                  }));
  }
}

Result<size_t> S3Reader::Read(void* buf, size_t size) {
  if (pos_ == current_.size()) {
    if (current_.capacity() > 0) {
      spare_.push_back(std::move(current_));
      current_.clear();
      pos_ = 0;
    }
    Prefetch();
    if (pending_.empty()) return size_t{0};
    Result<std::string> next = pending_.front().get();
    pending_.pop_front();
    if (!next.ok()) return next.status();
    current_ = std::move(next).value();
    pos_ = 0;
    Prefetch();
  }
  size_t n = std::min(size, current_.size() - pos_);
  std::memcpy(buf, current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace stasis::s3
