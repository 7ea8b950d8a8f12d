#include "plugins/loader/plugin_storage.h"

#include <cstddef>

namespace stasis::plugins {

namespace {

// Collects the plugin's one-sentence error.
struct ErrorSink {
  std::string message;
  stasis_error c{&ErrorSink::Set, this};
  static void Set(void* ctx, const char* m) { static_cast<ErrorSink*>(ctx)->message = m ? m : ""; }
};

Status ToStatus(int code, const ErrorSink& e) {
  if (code == 0) return Status::OK();
  auto c = static_cast<StatusCode>(code);
  if (code < 0 || code > static_cast<int>(StatusCode::kInternal)) c = StatusCode::kInternal;
  return Status(c, e.message.empty() ? "the storage plugin failed" : e.message);
}

int CollectInfo(void* ctx, const stasis_object_info* i) {
  static_cast<std::vector<storage::ObjectInfo>*>(ctx)->push_back(
      {i->location, i->name, i->size, i->mtime, i->is_dir != 0});
  return 0;
}

class PluginWriter final : public storage::Writer {
 public:
  PluginWriter(std::shared_ptr<PluginLibrary> lib, stasis_writer* w)
      : lib_(std::move(lib)), w_(w) {}
  ~PluginWriter() override { lib_->api()->writer_close(w_); }
  Status Append(const void* data, size_t size) override {
    ErrorSink e;
    return ToStatus(lib_->api()->writer_append(w_, data, size, &e.c), e);
  }
  Status Commit() override {
    ErrorSink e;
    return ToStatus(lib_->api()->writer_commit(w_, &e.c), e);
  }
  void Abort() noexcept override { lib_->api()->writer_abort(w_); }
  uint64_t BytesWritten() const override { return lib_->api()->writer_bytes(w_); }
  uint64_t BytesStored() const override {
    const stasis_plugin_v1* api = lib_->api();
    if (api->struct_size <
            offsetof(stasis_plugin_v1, writer_bytes_stored) + sizeof(api->writer_bytes_stored) ||
        api->writer_bytes_stored == nullptr)
      return 0;  // a plugin built before the entry existed
    return api->writer_bytes_stored(w_);
  }

 private:
  std::shared_ptr<PluginLibrary> lib_;
  stasis_writer* w_;
};

class PluginReader final : public storage::Reader {
 public:
  PluginReader(std::shared_ptr<PluginLibrary> lib, stasis_reader* r)
      : lib_(std::move(lib)), r_(r) {}
  ~PluginReader() override { lib_->api()->reader_close(r_); }
  Result<size_t> Read(void* buf, size_t size) override {
    ErrorSink e;
    size_t got = 0;
    Status st = ToStatus(lib_->api()->reader_read(r_, buf, size, &got, &e.c), e);
    if (!st.ok()) return st;
    return got;
  }
  uint64_t Size() const override { return lib_->api()->reader_size(r_); }

 private:
  std::shared_ptr<PluginLibrary> lib_;
  stasis_reader* r_;
};

}  // namespace

Result<std::shared_ptr<PluginStorage>> PluginStorage::Open(std::shared_ptr<PluginLibrary> lib,
                                                           const std::string& config_json) {
  ErrorSink e;
  stasis_storage* s = nullptr;
  RETURN_IF_ERROR(ToStatus(lib->api()->storage_open(config_json.c_str(), &s, &e.c), e));
  return std::shared_ptr<PluginStorage>(new PluginStorage(std::move(lib), s));
}

PluginStorage::~PluginStorage() {
  lib_->api()->storage_close(s_);
}

Result<std::unique_ptr<storage::Writer>> PluginStorage::NewWriter(const std::string& location) {
  ErrorSink e;
  stasis_writer* w = nullptr;
  RETURN_IF_ERROR(ToStatus(lib_->api()->writer_open(s_, location.c_str(), &w, &e.c), e));
  return std::unique_ptr<storage::Writer>(new PluginWriter(lib_, w));
}

Result<std::unique_ptr<storage::Reader>> PluginStorage::NewReader(const std::string& location) {
  ErrorSink e;
  stasis_reader* r = nullptr;
  RETURN_IF_ERROR(ToStatus(lib_->api()->reader_open(s_, location.c_str(), &r, &e.c), e));
  return std::unique_ptr<storage::Reader>(new PluginReader(lib_, r));
}

Result<std::vector<storage::ObjectInfo>> PluginStorage::List(const std::string& dir) {
  ErrorSink e;
  std::vector<storage::ObjectInfo> out;
  RETURN_IF_ERROR(ToStatus(lib_->api()->list(s_, dir.c_str(), CollectInfo, &out, &e.c), e));
  return out;
}

Result<storage::ObjectInfo> PluginStorage::Stat(const std::string& location) {
  ErrorSink e;
  std::vector<storage::ObjectInfo> out;
  RETURN_IF_ERROR(ToStatus(lib_->api()->stat(s_, location.c_str(), CollectInfo, &out, &e.c), e));
  if (out.empty()) return Status::Internal("the storage plugin's stat returned nothing");
  return out.front();
}

Status PluginStorage::ReadRange(const std::string& location, uint64_t offset, size_t size,
                                std::string* out) {
  const stasis_plugin_v1* api = lib_->api();
  if (api->struct_size < offsetof(stasis_plugin_v1, read_range) + sizeof(api->read_range) ||
      api->read_range == nullptr)
    return Status::Unimplemented("the " + lib_->info().name +
                                 " plugin is too old for streamed checkpoints; reinstall it");
  out->resize(size);
  ErrorSink e;
  return ToStatus(api->read_range(s_, location.c_str(), offset, size, out->data(), &e.c), e);
}

Status PluginStorage::Remove(const std::string& location) {
  ErrorSink e;
  return ToStatus(lib_->api()->remove(s_, location.c_str(), &e.c), e);
}

Status PluginStorage::RemoveIncomplete(const std::string& location) {
  const stasis_plugin_v1* api = lib_->api();
  if (api->struct_size <
          offsetof(stasis_plugin_v1, remove_incomplete) + sizeof(api->remove_incomplete) ||
      api->remove_incomplete == nullptr)
    return Status::OK();  // an older plugin has nothing to offer here
  ErrorSink e;
  return ToStatus(api->remove_incomplete(s_, location.c_str(), &e.c), e);
}

Status PluginStorage::CheckWritable(const std::string& dir) {
  ErrorSink e;
  return ToStatus(lib_->api()->check_writable(s_, dir.c_str(), &e.c), e);
}

std::vector<PluginStorage::HealthCheck> PluginStorage::Health(const std::string& bucket_location) {
  std::vector<HealthCheck> out;
  lib_->api()->health(
      s_, bucket_location.empty() ? nullptr : bucket_location.c_str(),
      [](void* ctx, const char* name, const char* state, const char* detail) {
        static_cast<std::vector<HealthCheck>*>(ctx)->push_back({name, state, detail});
      },
      &out);
  return out;
}

}  // namespace stasis::plugins
