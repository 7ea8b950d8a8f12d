// storage::Reader for one S3 object: ranged GETs of `chunk` bytes, up to
// `concurrency` in flight ahead of the reader, delivered in order. Memory is
// bounded by concurrency chunks; no local copy of the object is made.
#pragma once

#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "plugins/s3/s3_client.h"
#include "storage/storage.h"

namespace stasis::s3 {

class S3Reader final : public storage::Reader {
 public:
  S3Reader(std::shared_ptr<S3Client> client, std::string key, uint64_t size, size_t chunk,
           int concurrency);
  ~S3Reader() override;

  Result<size_t> Read(void* buf, size_t size) override;
  uint64_t Size() const override { return size_; }

 private:
  void Prefetch();

  const std::shared_ptr<S3Client> client_;
  const std::string key_;
  const uint64_t size_;
  const size_t chunk_;
  const int concurrency_;
  uint64_t next_offset_ = 0;  // of the next range to request
  std::deque<std::future<Result<std::string>>> pending_;
  std::string current_;
  size_t pos_ = 0;
  // Chunk buffers handed back by the reader, reused by the next ranges:
  // their pages stay mapped, so a large restore does not fault in (and
  // zero) a fresh buffer for every chunk. Only the reader's thread uses it.
  std::vector<std::string> spare_;
};

}  // namespace stasis::s3
