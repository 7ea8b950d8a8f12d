// The local storage reader: a plain file read sequentially.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "storage/storage.h"

namespace stasis::storage {

class LocalReader final : public Reader {
 public:
  // NotFound "checkpoint /x does not exist"; InvalidArgument for a directory.
  static Result<std::unique_ptr<Reader>> Open(const std::string& path);

  Result<size_t> Read(void* buf, size_t size) override;
  uint64_t Size() const override { return size_; }

 private:
  LocalReader(std::string path, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size) {}

  const std::string path_;
  UniqueFd fd_;
  const uint64_t size_;
};

}  // namespace stasis::storage
