// Writer and Reader wrappers that report the bytes passing through them to
// a Progress, so a dump or restore can show how far it has come.
#pragma once

#include <memory>

#include "common/progress.h"
#include "storage/storage.h"

namespace stasis::storage {

class CountingWriter final : public Writer {
 public:
  CountingWriter(Writer* inner, Progress* progress) : inner_(inner), progress_(progress) {}
  Status Append(const void* data, size_t size) override {
    Status st = inner_->Append(data, size);
    if (st.ok()) progress_->Add(size);
    return st;
  }
  Status Commit() override { return inner_->Commit(); }
  void Abort() noexcept override { inner_->Abort(); }
  uint64_t BytesWritten() const override { return inner_->BytesWritten(); }

 private:
  Writer* inner_;  // not owned
  Progress* progress_;
};

class CountingReader final : public Reader {
 public:
  CountingReader(Reader* inner, Progress* progress) : inner_(inner), progress_(progress) {}
  Result<size_t> Read(void* buf, size_t size) override {
    auto n = inner_->Read(buf, size);
    if (n.ok()) progress_->Add(*n);
    return n;
  }
  uint64_t Size() const override { return inner_->Size(); }

 private:
  Reader* inner_;  // not owned
  Progress* progress_;
};

}  // namespace stasis::storage
