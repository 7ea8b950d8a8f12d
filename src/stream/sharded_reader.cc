#include "stream/sharded_reader.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>

#include "archive/sha256.h"
#include "storage/location.h"

namespace stasis::stream {

namespace {

bool DigestMatches(const std::string& stored, const std::string& sha256_hex) {
  archive::Sha256 sha256;
  sha256.Update(stored.data(), stored.size());
  return sha256.FinishHex() == sha256_hex;
}

// Chunks fetched ahead of CRIU (or kept for a later slice) per open image:
// with CRIU reading one large pages image, up to this many ranged reads are
// in flight over the shards.
constexpr size_t kReadAhead = 6;

// A piece of an image: bytes [from, from + size) of chunk `chunk` of
// `source` (the image itself, or a blob its extents point into).
struct Slice {
  const StreamFile* source = nullptr;
  size_t chunk = 0;
  uint64_t from = 0, size = 0;
  bool SameChunk(const Slice& o) const { return source == o.source && chunk == o.chunk; }
};

// Raw offsets at which each chunk of `blob` starts.
std::vector<uint64_t> ChunkStarts(const StreamFile& blob) {
  std::vector<uint64_t> starts;
  uint64_t at = 0;
  for (const ChunkRef& c : blob.chunks) {
    starts.push_back(at);
    at += c.size;
  }
  return starts;
}

std::vector<Slice> SlicesOf(const StreamManifest& m, const StreamFile& file,
                            const std::vector<std::vector<uint64_t>>& blob_starts) {
  std::vector<Slice> out;
  if (file.extents.empty()) {
    for (size_t i = 0; i < file.chunks.size(); ++i)
      out.push_back(Slice{&file, i, 0, file.chunks[i].size});
    return out;
  }
  for (const Extent& e : file.extents) {
    const StreamFile& blob = m.blobs[e.blob];
    const auto& starts = blob_starts[e.blob];
    // The manifest reader checked that the extent lies inside its blob.
    size_t k = std::upper_bound(starts.begin(), starts.end(), e.offset) - starts.begin() - 1;
    uint64_t at = e.offset, left = e.size;
    for (; left > 0; ++k) {
      uint64_t from = at - starts[k];
      uint64_t n = std::min(left, blob.chunks[k].size - from);
      out.push_back(Slice{&blob, k, from, n});
      at += n;
      left -= n;
    }
  }
  return out;
}

// Reads one image slice by slice. The chunks the next slices need are
// fetched ahead, in order, and kept while a later slice still needs them:
// a pre-copied image alternates between a pre-copy chunk and a chunk of
// changed pages, and each is fetched once, not once per switch.
class ChunkReader final : public storage::Reader {
 public:
  ChunkReader(std::shared_ptr<storage::Storage> store, std::string prefix,
              const StreamManifest* manifest, const StreamFile* file, std::vector<Slice> slices,
              Progress* progress, const ChunkCipher* cipher)
      : store_(std::move(store)),
        prefix_(std::move(prefix)),
        manifest_(manifest),
        file_(file),
        slices_(std::move(slices)),
        progress_(progress),
        cipher_(cipher) {}
  ~ChunkReader() override {
    for (auto& f : fetches_) f.data.wait();
  }

  Result<size_t> Read(void* buf, size_t size) override {
    while (slice_ < slices_.size() && pos_ == slices_[slice_].size) {
      ++slice_;
      pos_ = 0;
    }
    if (slice_ == slices_.size()) return size_t{0};
    const Slice& s = slices_[slice_];
    if (current_ == nullptr || !current_slice_.SameChunk(s)) {
      Fill();
      Fetch* f = Find(s);
      if (f == nullptr)
        return Status::Internal("the chunk for " + file_->name + " was not fetched");
      const Result<Chunk>& got = f->data.get();
      if (!got.ok()) return got.status();
      current_ = *got;
      current_slice_ = s;
      Fill();
    }
    size_t n = std::min<uint64_t>(size, s.size - pos_);
    std::memcpy(buf, current_->data() + s.from + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t Size() const override { return file_->size; }

 private:
  using Chunk = std::shared_ptr<const std::string>;
  struct Fetch {
    Slice key;
    size_t last_use = 0;  // the last slice known to need it
    std::shared_future<Result<Chunk>> data;
  };

  Fetch* Find(const Slice& s) {
    for (auto& f : fetches_)
      if (f.key.SameChunk(s)) return &f;
    return nullptr;
  }

  void Fill() {
    // Chunks no slice from here on needs are dropped.
    std::erase_if(fetches_, [&](const Fetch& f) {
      if (f.last_use >= slice_) return false;
      f.data.wait();
      return true;
    });
    for (; next_ < slices_.size(); ++next_) {
      const Slice& s = slices_[next_];
      if (Fetch* known = Find(s)) {
        known->last_use = next_;
        continue;
      }
      if (fetches_.size() >= kReadAhead) break;
      fetches_.push_back(Fetch{s, next_, Start(s)});
    }
  }

  std::shared_future<Result<Chunk>> Start(const Slice& s) {
    const StreamFile* source = s.source;
    const ChunkRef ref = source->chunks[s.chunk];
    const size_t index = s.chunk;
    std::string shard = storage::JoinLocation(prefix_, manifest_->shards[ref.shard].name);
    return std::async(
               std::launch::async,
               [this, ref, index, shard, source]() -> Result<Chunk> {
                 std::string stored;
                 auto raw = std::make_shared<std::string>();
                 RETURN_IF_ERROR(store_->ReadRange(shard, ref.offset, ref.stored, &stored));
                 // The digest the signed manifest vouches for, checked before
                 // the decompressor sees a byte.
                 if (!ref.sha256.empty() && !DigestMatches(stored, ref.sha256))
                   return Status::Corruption("image " + source->name + " is damaged in " + shard +
                                             " at offset " + std::to_string(ref.offset) +
                                             " (digest mismatch); the checkpoint cannot be "
                                             "restored");
                 if (cipher_ != nullptr) {
                   // Authenticated before anything else looks at it.
                   std::string opened;
                   RETURN_IF_ERROR(cipher_->Open(ChunkPlace(source->name, index), stored, &opened,
                                                 "chunk " + std::to_string(index) + " of image " +
                                                     source->name + " in " + shard));
                   stored = std::move(opened);
                 }
                 Status st = DecompressChunk(manifest_->compression, stored, ref.size, raw.get());
                 if (st.ok() && cipher_ == nullptr &&
                     ChunkCrc32(raw->data(), raw->size()) != ref.crc32)
                   st = Status::Corruption("checksum mismatch");
                 if (!st.ok())
                   return Status::Corruption(
                       "image " + source->name + " is damaged in " + shard + " at offset " +
                       std::to_string(ref.offset) +
                       " (checksum mismatch); the checkpoint cannot be restored");
                 if (progress_ != nullptr) progress_->Add(ref.stored);
                 return Chunk(std::move(raw));
               })
        .share();
  }

  std::shared_ptr<storage::Storage> store_;
  std::string prefix_;
  const StreamManifest* manifest_;
  const StreamFile* file_;
  const std::vector<Slice> slices_;
  Progress* progress_;
  const ChunkCipher* cipher_;   // null: not encrypted
  size_t next_ = 0;             // the next slice Fill() looks at
  std::vector<Fetch> fetches_;  // at most kReadAhead
  Chunk current_;
  Slice current_slice_;
  size_t slice_ = 0;  // the slice Read() is in, and how far
  uint64_t pos_ = 0;
};

}  // namespace

ShardedReader::ShardedReader(std::shared_ptr<storage::Storage> store, std::string prefix,
                             StreamManifest manifest, Progress* progress, const ChunkCipher* cipher)
    : store_(std::move(store)),
      prefix_(std::move(prefix)),
      manifest_(std::move(manifest)),
      progress_(progress),
      cipher_(manifest_.encryption.cipher.empty() ? nullptr : cipher) {
  for (size_t i = 0; i < manifest_.files.size(); ++i) by_name_[manifest_.files[i].name] = i;
  for (const StreamFile& b : manifest_.blobs) blob_starts_.push_back(ChunkStarts(b));
}

Result<std::unique_ptr<ShardedReader>> ShardedReader::Open(std::shared_ptr<storage::Storage> store,
                                                           const std::string& prefix,
                                                           StreamManifest manifest,
                                                           Progress* progress,
                                                           const ChunkCipher* cipher) {
  if (!manifest.encryption.cipher.empty() && cipher == nullptr)
    return Status::FailedPrecondition("the checkpoint at " + prefix +
                                      " is encrypted and no key was given to read it");
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
      new ShardedReader(std::move(store), prefix, std::move(manifest), progress, cipher));
}

Result<std::unique_ptr<storage::Reader>> ShardedReader::Open(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Status::NotFound(name + " is not in the checkpoint");
  const StreamFile& file = manifest_.files[it->second];
  return std::unique_ptr<storage::Reader>(new ChunkReader(store_, prefix_, &manifest_, &file,
                                                          SlicesOf(manifest_, file, blob_starts_),
                                                          progress_, cipher_));
}

}  // namespace stasis::stream
