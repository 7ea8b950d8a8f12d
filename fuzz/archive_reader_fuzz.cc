// A plain checkpoint archive comes from storage too. Whatever bytes it
// holds, reading its header and extracting it end in a manifest or one
// error, and extraction writes nowhere but its destination directory: the
// sandbox around that directory must stay empty.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "archive/checkpoint_archive.h"

namespace {

namespace fs = std::filesystem;

class BytesReader final : public stasis::storage::Reader {
 public:
  BytesReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  stasis::Result<size_t> Read(void* buf, size_t n) override {
    n = std::min(n, size_ - pos_);
    std::memcpy(buf, data_ + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t Size() const override { return size_; }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

const fs::path& Sandbox() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/stasis-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    return fs::path(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    BytesReader r(data, size);
    (void)stasis::archive::ReadCheckpointHeader(r);
  }
  const fs::path dest = Sandbox() / "dest";
  fs::create_directory(dest);
  BytesReader r(data, size);
  (void)stasis::archive::ExtractCheckpointArchive(r, dest);
  for (const auto& e : fs::directory_iterator(Sandbox()))
    if (e.path() != dest) std::abort();  // something escaped the destination
  fs::remove_all(dest);
  return 0;
}
