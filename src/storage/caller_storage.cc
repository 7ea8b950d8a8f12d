#include "storage/caller_storage.h"

#include <string>
#include <utility>
#include <vector>

#include "common/fs_identity.h"

namespace stasis::storage {

namespace {

// Says whose rights were refused: the daemon is root, so a bare "not
// writable" would puzzle whoever reads it.
Status Explain(Status st, const Caller& caller) {
  if (st.code() != StatusCode::kPermissionDenied) return st;
  return st.WithContext("as " + caller.Describe());
}

template <class T>
Result<T> Explain(Result<T> r, const Caller& caller) {
  if (r.ok()) return r;
  return Explain(r.status(), caller);
}

// Runs `f` on this thread with the caller's filesystem identity.
template <class F>
auto AsCaller(const Caller& caller, F&& f) -> decltype(f()) {
  ScopedFsIdentity as_caller(caller);
  if (!as_caller.ok()) return as_caller.status();
  return Explain(f(), caller);
}

// Commit() renames and Abort() unlinks by name inside the directory the
// temp file was made in, so they are the caller's acts too. Append() only
// writes the open fd.
class CallerWriter final : public Writer {
 public:
  CallerWriter(std::unique_ptr<Writer> inner, Caller caller)
      : inner_(std::move(inner)), caller_(std::move(caller)) {}

  // The inner writer aborts in its destructor if it was never committed.
  ~CallerWriter() override {
    ScopedFsIdentity as_caller(caller_);
    inner_.reset();
  }

  Status Append(const void* data, size_t size) override { return inner_->Append(data, size); }
  Status Commit() override {
    return AsCaller(caller_, [&] { return inner_->Commit(); });
  }
  // If the caller's identity cannot be taken (it never fails for a root
  // daemon), the abort goes ahead as root: it only unlinks the writer's own
  // random temp name inside the directory fd it created it in, and leaving
  // a partial checkpoint behind is worse.
  void Abort() noexcept override {
    ScopedFsIdentity as_caller(caller_);
    inner_->Abort();
  }
  uint64_t BytesWritten() const override { return inner_->BytesWritten(); }
  uint64_t BytesStored() const override { return inner_->BytesStored(); }

 private:
  std::unique_ptr<Writer> inner_;
  const Caller caller_;
};

class CallerStorage final : public Storage {
 public:
  CallerStorage(std::shared_ptr<Storage> inner, Caller caller)
      : inner_(std::move(inner)), caller_(std::move(caller)) {}

  Result<std::unique_ptr<Writer>> NewWriter(const std::string& location) override {
    auto w = AsCaller(caller_, [&] { return inner_->NewWriter(location); });
    if (!w.ok()) return w.status();
    return std::unique_ptr<Writer>(new CallerWriter(std::move(*w), caller_));
  }
  // The reader opened its fd in NewReader(); Read() resolves nothing.
  Result<std::unique_ptr<Reader>> NewReader(const std::string& location) override {
    return AsCaller(caller_, [&] { return inner_->NewReader(location); });
  }
  Status ReadRange(const std::string& location, uint64_t offset, size_t size,
                   std::string* out) override {
    return AsCaller(caller_, [&] { return inner_->ReadRange(location, offset, size, out); });
  }
  Result<std::vector<ObjectInfo>> List(const std::string& dir) override {
    return AsCaller(caller_, [&] { return inner_->List(dir); });
  }
  Result<ObjectInfo> Stat(const std::string& location) override {
    return AsCaller(caller_, [&] { return inner_->Stat(location); });
  }
  Status Remove(const std::string& location) override {
    return AsCaller(caller_, [&] { return inner_->Remove(location); });
  }
  Status CheckWritable(const std::string& dir) override {
    return AsCaller(caller_, [&] { return inner_->CheckWritable(dir); });
  }
  Status RemoveIncomplete(const std::string& location) override {
    return AsCaller(caller_, [&] { return inner_->RemoveIncomplete(location); });
  }

 private:
  const std::shared_ptr<Storage> inner_;
  const Caller caller_;
};

}  // namespace

std::shared_ptr<Storage> StorageAsCaller(std::shared_ptr<Storage> inner, const Caller& caller) {
  if (caller.is_root()) return inner;
  return std::make_shared<CallerStorage>(std::move(inner), caller);
}

}  // namespace stasis::storage
