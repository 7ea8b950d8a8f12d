// The storage/s3 plugin's C ABI (plugins/abi.h): thin wrappers that turn
// S3Storage's C++ Status into codes and sentences. Exceptions never cross.
#include <cstring>
#include <new>
#include <string>

#include "plugins/abi.h"
#include "plugins/s3/s3_storage.h"

struct stasis_storage {
  std::unique_ptr<stasis::s3::S3Storage> impl;
};
struct stasis_writer {
  std::unique_ptr<stasis::storage::Writer> impl;
};
struct stasis_reader {
  std::unique_ptr<stasis::storage::Reader> impl;
};

namespace {

using stasis::Status;

int Fail(const Status& st, stasis_error* err) {
  if (err != nullptr && err->set != nullptr) err->set(err->ctx, st.message().c_str());
  return static_cast<int>(st.code());
}

int Report(const Status& st, stasis_error* err) {
  return st.ok() ? 0 : Fail(st, err);
}

void EmitInfo(const stasis::storage::ObjectInfo& o, stasis_list_fn fn, void* ctx, int* stop) {
  stasis_object_info info{o.location.c_str(), o.name.c_str(), o.size, o.mtime, o.is_dir ? 1 : 0};
  *stop = fn(ctx, &info);
}

int StorageOpen(const char* config_json, stasis_storage** out, stasis_error* err) {
  auto options = stasis::s3::S3OptionsFromJson(config_json ? config_json : "{}");
  if (!options.ok()) return Fail(options.status(), err);
  auto storage = stasis::s3::S3Storage::Open(*options, stasis::s3::ProcessEnvironment());
  if (!storage.ok()) return Fail(storage.status(), err);
  *out = new (std::nothrow) stasis_storage{std::move(storage).value()};
  return *out ? 0 : Fail(Status::ResourceExhausted("out of memory"), err);
}

void StorageClose(stasis_storage* s) {
  delete s;
}

int WriterOpen(stasis_storage* s, const char* location, stasis_writer** out, stasis_error* err) {
  auto w = s->impl->NewWriter(location);
  if (!w.ok()) return Fail(w.status(), err);
  *out = new stasis_writer{std::move(w).value()};
  return 0;
}
int WriterAppend(stasis_writer* w, const void* data, size_t size, stasis_error* err) {
  return Report(w->impl->Append(data, size), err);
}
int WriterCommit(stasis_writer* w, stasis_error* err) {
  return Report(w->impl->Commit(), err);
}
void WriterAbort(stasis_writer* w) {
  w->impl->Abort();
}
uint64_t WriterBytes(stasis_writer* w) {
  return w->impl->BytesWritten();
}
uint64_t WriterBytesStored(stasis_writer* w) {
  return w->impl->BytesStored();
}
void WriterClose(stasis_writer* w) {
  delete w;
}

int ReaderOpen(stasis_storage* s, const char* location, stasis_reader** out, stasis_error* err) {
  auto r = s->impl->NewReader(location);
  if (!r.ok()) return Fail(r.status(), err);
  *out = new stasis_reader{std::move(r).value()};
  return 0;
}
int ReaderRead(stasis_reader* r, void* buf, size_t size, size_t* got, stasis_error* err) {
  auto n = r->impl->Read(buf, size);
  if (!n.ok()) return Fail(n.status(), err);
  *got = *n;
  return 0;
}
uint64_t ReaderSize(stasis_reader* r) {
  return r->impl->Size();
}
void ReaderClose(stasis_reader* r) {
  delete r;
}

int List(stasis_storage* s, const char* dir, stasis_list_fn fn, void* ctx, stasis_error* err) {
  auto entries = s->impl->List(dir);
  if (!entries.ok()) return Fail(entries.status(), err);
  int stop = 0;
  for (const auto& e : *entries) {
    EmitInfo(e, fn, ctx, &stop);
    if (stop) break;
  }
  return 0;
}
int Stat(stasis_storage* s, const char* location, stasis_list_fn fn, void* ctx, stasis_error* err) {
  auto info = s->impl->Stat(location);
  if (!info.ok()) return Fail(info.status(), err);
  int stop = 0;
  EmitInfo(*info, fn, ctx, &stop);
  return 0;
}
int Remove(stasis_storage* s, const char* location, stasis_error* err) {
  return Report(s->impl->Remove(location), err);
}
int CheckWritable(stasis_storage* s, const char* dir, stasis_error* err) {
  return Report(s->impl->CheckWritable(dir), err);
}

void Health(stasis_storage* s, const char* bucket_location,
            void (*fn)(void*, const char*, const char*, const char*), void* ctx) {
  std::string creds = "found (" + s->impl->credential_source() + "), region " + s->impl->region();
  fn(ctx, "s3 credentials", "ok", creds.c_str());
  Status reach = s->impl->CheckEndpoint();
  std::string where = s->impl->endpoint_description();
  fn(ctx, "s3 endpoint", reach.ok() ? "ok" : "error",
     (reach.ok() ? where + " answers" : reach.message()).c_str());
  if (bucket_location == nullptr || *bucket_location == '\0') return;
  Status st = s->impl->CheckWritable(bucket_location);
  std::string detail = st.ok() ? std::string(bucket_location) + " reachable" : st.message();
  fn(ctx, "s3 bucket", st.ok() ? "ok" : "error", detail.c_str());
}

int ReadRange(stasis_storage* s, const char* location, uint64_t offset, size_t size, void* buf,
              stasis_error* err) {
  thread_local std::string chunk;
  Status st = s->impl->ReadRange(location, offset, size, &chunk);
  if (st.ok()) std::memcpy(buf, chunk.data(), size);
  return Report(st, err);
}

int RemoveIncomplete(stasis_storage* s, const char* location, stasis_error* err) {
  return Report(s->impl->RemoveIncomplete(location), err);
}

const stasis_plugin_v1 kPlugin = {
    sizeof(stasis_plugin_v1),
    STASIS_PLUGIN_ABI_VERSION,
    "storage/s3",
    "0.1.0",
    "s3",
    "Checkpoints in Amazon S3 and S3-compatible stores (s3://bucket/prefix)",
    StorageOpen,
    StorageClose,
    WriterOpen,
    WriterAppend,
    WriterCommit,
    WriterAbort,
    WriterBytes,
    WriterClose,
    ReaderOpen,
    ReaderRead,
    ReaderSize,
    ReaderClose,
    List,
    Stat,
    Remove,
    CheckWritable,
    Health,
    ReadRange,
    RemoveIncomplete,
    WriterBytesStored,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const stasis_plugin_v1* stasis_plugin_entry_v1() {
  return &kPlugin;
}
