// Writer and Reader wrappers that report the bytes passing through them to
// a Progress, so a dump or restore can show how far it has come.
#pragma once

#include <memory>

#include "common/progress.h"
#include "storage/storage.h"

namespace stasis::storage {

// While it lives, `progress` counts what `writer` has stored (see
// Writer::BytesStored) alongside what was handed to it. Destroy it before
// the writer.
class StoredBytesWatch {
 public:
  StoredBytesWatch(Progress* progress, const Writer* writer)
      : progress_(progress),
        id_(progress ? progress->AddStoredSource([writer] { return writer->BytesStored(); }) : 0) {}
  ~StoredBytesWatch() {
    if (progress_) progress_->RemoveStoredSource(id_);
  }
  StoredBytesWatch(const StoredBytesWatch&) = delete;
  StoredBytesWatch& operator=(const StoredBytesWatch&) = delete;

 private:
  Progress* progress_;
  int id_;
};

// Counts what passes into `inner` as the progress's bytes, and what inner
// has stored beside it. Destroy it before `inner`.
class CountingWriter final : public Writer {
 public:
  CountingWriter(Writer* inner, Progress* progress)
      : inner_(inner), progress_(progress), stored_(progress, inner) {}
  Status Append(const void* data, size_t size) override {
    Status st = inner_->Append(data, size);
    if (st.ok()) progress_->Add(size);
    return st;
  }
  Status Commit() override { return inner_->Commit(); }
  void Abort() noexcept override { inner_->Abort(); }
  uint64_t BytesWritten() const override { return inner_->BytesWritten(); }
  uint64_t BytesStored() const override { return inner_->BytesStored(); }

 private:
  Writer* inner_;  // not owned
  Progress* progress_;
  StoredBytesWatch stored_;
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
