// A Reader that fetches only what is read, one small ranged read at a time.
// For reading the head of an object (a plain checkpoint's header member):
// a storage's own reader may fetch far ahead (S3: several parts in
// parallel), which costs memory and bandwidth for a few KiB.
#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include "storage/storage.h"

namespace stasis::storage {

class RangedReader final : public Reader {
 public:
  // `size` is the object's size (ObjectInfo::size).
  RangedReader(Storage* store, std::string location, uint64_t size, size_t step = 256 * 1024)
      : store_(store), location_(std::move(location)), size_(size), step_(step) {}

  Result<size_t> Read(void* buf, size_t size) override {
    if (offset_ >= size_ || size == 0) return size_t{0};
    if (pos_ == chunk_.size()) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(step_, size_ - offset_));
      RETURN_IF_ERROR(store_->ReadRange(location_, offset_, want, &chunk_));
      pos_ = 0;
    }
    size_t n = std::min(size, chunk_.size() - pos_);
    std::copy_n(chunk_.data() + pos_, n, static_cast<char*>(buf));
    pos_ += n;
    offset_ += n;
    return n;
  }
  uint64_t Size() const override { return size_; }

 private:
  Storage* store_;  // not owned
  std::string location_;
  uint64_t size_;
  size_t step_;
  uint64_t offset_ = 0;  // of the next byte returned
  std::string chunk_;
  size_t pos_ = 0;  // in chunk_
};

}  // namespace stasis::storage
