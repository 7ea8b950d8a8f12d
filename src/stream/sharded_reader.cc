#include "stream/sharded_reader.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>

#include "storage/location.h"

namespace stasis::stream {

namespace {

// Chunks fetched ahead of CRIU per open image: with CRIU reading one large
// pages image, this many ranged reads are in flight over the shards.
constexpr size_t kReadAhead = 4;

class ChunkReader final : public storage::Reader {
 public:
  ChunkReader(std::shared_ptr<storage::Storage> store, std::string prefix,
              const StreamManifest* manifest, const StreamFile* file, Progress* progress)
      : store_(std::move(store)),
        prefix_(std::move(prefix)),
        manifest_(manifest),
        file_(file),
        progress_(progress) {}
  ~ChunkReader() override {
    for (auto& f : pending_) f.wait();
  }

  Result<size_t> Read(void* buf, size_t size) override {
    if (pos_ == current_.size()) {
      Fill();
      if (pending_.empty()) return size_t{0};
      Result<std::string> next = pending_.front().get();
      pending_.pop_front();
      if (!next.ok()) return next.status();
      current_ = std::move(next).value();
      pos_ = 0;
      Fill();
    }
    size_t n = std::min(size, current_.size() - pos_);
    std::memcpy(buf, current_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t Size() const override { return file_->size; }

 private:
  void Fill() {
    while (pending_.size() < kReadAhead && next_ < file_->chunks.size()) {
      const ChunkRef ref = file_->chunks[next_++];
      std::string shard = storage::JoinLocation(prefix_, manifest_->shards[ref.shard].name);
      pending_.push_back(
          std::async(std::launch::async, [this, ref, shard]() -> Result<std::string> {
            std::string stored, raw;
            RETURN_IF_ERROR(store_->ReadRange(shard, ref.offset, ref.stored, &stored));
            Status st = DecompressChunk(manifest_->compression, stored, ref.size, &raw);
            if (!st.ok() || ChunkCrc32(raw.data(), raw.size()) != ref.crc32)
              return Status::Corruption("image " + file_->name + " is damaged in " + shard +
                                        " at offset " + std::to_string(ref.offset) +
                                        " (checksum mismatch); the checkpoint cannot be restored");
            if (progress_ != nullptr) progress_->Add(ref.stored);
            return raw;
          }));
    }
  }

  std::shared_ptr<storage::Storage> store_;
  std::string prefix_;
  const StreamManifest* manifest_;
  const StreamFile* file_;
  Progress* progress_;
  size_t next_ = 0;
  std::deque<std::future<Result<std::string>>> pending_;
  std::string current_;
  size_t pos_ = 0;
};

}  // namespace

ShardedReader::ShardedReader(std::shared_ptr<storage::Storage> store, std::string prefix,
                             StreamManifest manifest, Progress* progress)
    : store_(std::move(store)),
      prefix_(std::move(prefix)),
      manifest_(std::move(manifest)),
      progress_(progress) {
  for (size_t i = 0; i < manifest_.files.size(); ++i) by_name_[manifest_.files[i].name] = i;
}

Result<std::unique_ptr<ShardedReader>> ShardedReader::Open(std::shared_ptr<storage::Storage> store,
                                                           const std::string& prefix,
                                                           StreamManifest manifest,
                                                           Progress* progress) {
  for (const StreamShard& s : manifest.shards) {
    std::string location = storage::JoinLocation(prefix, s.name);
    auto info = store->Stat(location);
    if (!info.ok()) {
      if (info.status().code() == StatusCode::kNotFound)
        return Status::Corruption("shard " + location +
                                  " is missing; the checkpoint cannot be restored");
      return info.status();
    }
    if (info->size != s.size)
      return Status::Corruption("shard " + location + " has " + std::to_string(info->size) +
                                " bytes where the manifest says " + std::to_string(s.size) +
                                "; the checkpoint cannot be restored");
  }
  return std::unique_ptr<ShardedReader>(
      new ShardedReader(std::move(store), prefix, std::move(manifest), progress));
}

Result<std::unique_ptr<storage::Reader>> ShardedReader::Open(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Status::NotFound(name + " is not in the checkpoint");
  return std::unique_ptr<storage::Reader>(
      new ChunkReader(store_, prefix_, &manifest_, &manifest_.files[it->second], progress_));
}

}  // namespace stasis::stream
