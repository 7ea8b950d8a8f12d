// In-memory storage Writer/Reader for archive tests: the archive code is
// real, only the bytes live in a string instead of a file.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "storage/storage.h"

namespace stasis::archive {

class StringWriter : public storage::Writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  Status Append(const void* data, size_t size) override {
    if (fail_after_ != std::string::npos && out_->size() + size > fail_after_)
      return Status::ResourceExhausted("no space left on device writing test");
    out_->append(static_cast<const char*>(data), size);
    return Status::OK();
  }
  Status Commit() override { return Status::OK(); }
  void Abort() noexcept override {}
  uint64_t BytesWritten() const override { return out_->size(); }
  void FailAfter(size_t bytes) { fail_after_ = bytes; }

 private:
  std::string* out_;
  size_t fail_after_ = std::string::npos;
};

class StringReader : public storage::Reader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(void* buf, size_t size) override {
    size_t n = std::min(size, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t Size() const override { return data_.size(); }
  size_t consumed() const { return pos_; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace stasis::archive
