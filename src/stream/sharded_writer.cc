#include "stream/sharded_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "archive/sha256.h"
#include "storage/location.h"

namespace stasis::stream {

namespace {
// Marks, until Finish() numbers them, extents over this writer's own blobs
// (changed pages) as against the index's blobs (the pre-copy's).
constexpr uint32_t kOwnBlob = 1u << 31;
}  // namespace

// One image file: collects CRIU's bytes into chunk-sized pieces.
class ShardedWriter::File final : public ImageFileSink {
 public:
  File(ShardedWriter* owner, size_t index) : owner_(owner), index_(index) {
    buffer_.reserve(owner->options_.chunk_size);
  }
  Status Append(const char* data, size_t size) override {
    while (size > 0) {
      size_t take = std::min(size, owner_->options_.chunk_size - buffer_.size());
      buffer_.append(data, take);
      data += take;
      size -= take;
      if (buffer_.size() == owner_->options_.chunk_size) RETURN_IF_ERROR(Flush());
    }
    return Status::OK();
  }
  Status Close() override { return buffer_.empty() ? Status::OK() : Flush(); }

 private:
  Status Flush() {
    Chunk c{index_, seq_++, std::move(buffer_)};
    buffer_ = std::string();
    buffer_.reserve(owner_->options_.chunk_size);
    return owner_->Submit(std::move(c));
  }
  ShardedWriter* owner_;
  size_t index_;
  size_t seq_ = 0;
  std::string buffer_;
};

// A pages image written against a PageIndex: each page either points at an
// equal page already stored (a pre-copy blob) or goes to this file's own
// blob of changed pages. Runs of neighbouring pages merge into one extent.
class ShardedWriter::DedupFile final : public ImageFileSink {
 public:
  DedupFile(ShardedWriter* owner, size_t index, Blob changed, const PageIndex* pages)
      : owner_(owner), index_(index), changed_(std::move(changed)), pages_(pages) {}
  Status Append(const char* data, size_t size) override {
    size_ += size;
    if (!partial_.empty()) {
      size_t take = std::min(size, kPageSize - partial_.size());
      partial_.append(data, take);
      data += take;
      size -= take;
      if (partial_.size() < kPageSize) return Status::OK();
      RETURN_IF_ERROR(Page(partial_.data(), kPageSize));
      partial_.clear();
    }
    for (; size >= kPageSize; data += kPageSize, size -= kPageSize)
      RETURN_IF_ERROR(Page(data, kPageSize));
    partial_.append(data, size);
    return Status::OK();
  }
  Status Close() override {
    // CRIU's pages images are whole pages; a tail is stored as it is.
    if (!partial_.empty()) RETURN_IF_ERROR(Page(partial_.data(), partial_.size()));
    RETURN_IF_ERROR(changed_.sink->Close());
    owner_->SetExtents(index_, std::move(extents_), size_);
    return Status::OK();
  }

 private:
  Status Page(const char* p, size_t n) {
    if (n == kPageSize) {
      if (auto pos = pages_->Find(HashPage(p))) {
        Add(pos->blob, pos->offset, n);
        return Status::OK();
      }
    }
    RETURN_IF_ERROR(changed_.sink->Append(p, n));
    Add(changed_.id | kOwnBlob, changed_size_, n);
    changed_size_ += n;
    return Status::OK();
  }
  void Add(uint32_t blob, uint64_t offset, uint64_t n) {
    if (!extents_.empty()) {
      Extent& last = extents_.back();
      if (last.blob == blob && last.offset + last.size == offset) {
        last.size += n;
        return;
      }
    }
    extents_.push_back(Extent{blob, offset, n});
  }

  ShardedWriter* owner_;
  size_t index_;
  Blob changed_;
  const PageIndex* pages_;
  std::string partial_;
  uint64_t size_ = 0, changed_size_ = 0;
  std::vector<Extent> extents_;
};

Status EnsurePrefix(const std::string& prefix) {
  ASSIGN_OR_RETURN(storage::Location loc, storage::ParseLocation(prefix));
  if (loc.scheme != "file") return Status::OK();
  if (::mkdir(loc.path.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + loc.path + ": " + std::strerror(errno));
  return Status::OK();
}

Result<std::unique_ptr<ShardedWriter>> ShardedWriter::Open(
    const std::shared_ptr<storage::Storage>& store, const std::string& prefix,
    const ShardedWriterOptions& options) {
  if (options.shards < 1 || options.shards > 64)
    return Status::InvalidArgument("a streamed checkpoint has 1 to 64 shards, not " +
                                   std::to_string(options.shards));
  RETURN_IF_ERROR(EnsurePrefix(prefix));
  std::unique_ptr<ShardedWriter> w(new ShardedWriter(options));
  for (int i = 0; i < options.shards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->name =
        options.shard_prefix + std::to_string(i) + "." + ShardExtension(options.compression);
    auto writer = store->NewWriter(storage::JoinLocation(prefix, shard->name));
    if (!writer.ok()) {
      w->Abort();
      return writer.status();
    }
    shard->writer = std::move(*writer);
    if (options.progress != nullptr)
      shard->stored =
          std::make_unique<storage::StoredBytesWatch>(options.progress, shard->writer.get());
    w->shards_.push_back(std::move(shard));
  }
  for (size_t i = 0; i < w->shards_.size(); ++i)
    w->shards_[i]->worker = std::thread([raw = w.get(), i] { raw->Work(i); });
  return w;
}

ShardedWriter::~ShardedWriter() {
  Abort();
}

size_t ShardedWriter::AddEntry(const std::string& name, bool blob) {
  files_.push_back(StreamFile{name, 0, {}, {}});
  is_blob_.push_back(blob);
  seqs_.emplace_back();
  return files_.size() - 1;
}

namespace {
bool IsPagesImage(const std::string& name) {
  return name.starts_with("pages-") && name.ends_with(".img");
}
}  // namespace

Result<std::unique_ptr<ImageFileSink>> ShardedWriter::Create(const std::string& name) {
  if (!archive::IsSafeMemberName(name))
    return Status::InvalidArgument("CRIU asked to store an image named \"" + name + "\"");
  if (page_index_ != nullptr && IsPagesImage(name)) {
    ASSIGN_OR_RETURN(Blob changed, CreateBlob("changed-" + name));
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    size_t index = AddEntry(name, false);
    return std::unique_ptr<ImageFileSink>(
        new DedupFile(this, index, std::move(changed), page_index_));
  }
  std::lock_guard lock(mu_);
  if (!error_.ok()) return error_;
  return std::unique_ptr<ImageFileSink>(new File(this, AddEntry(name, false)));
}

Result<ShardedWriter::Blob> ShardedWriter::CreateBlob(const std::string& name) {
  if (!archive::IsSafeMemberName(name))
    return Status::InvalidArgument("\"" + name + "\" cannot name a blob");
  std::lock_guard lock(mu_);
  if (!error_.ok()) return error_;
  size_t index = AddEntry(name, true);
  return Blob{static_cast<uint32_t>(index), std::unique_ptr<ImageFileSink>(new File(this, index))};
}

void ShardedWriter::SetExtents(size_t file, std::vector<Extent> extents, uint64_t size) {
  std::lock_guard lock(mu_);
  files_[file].extents = std::move(extents);
  files_[file].size = size;
}

Status ShardedWriter::Submit(Chunk chunk) {
  std::unique_lock lock(mu_);
  // The memory budget: two chunks queued per shard, beside the one each
  // worker is compressing.
  cv_.wait(lock, [&] { return !error_.ok() || queued_ < 2 * shards_.size(); });
  if (!error_.ok()) return error_;
  // The shortest queue; among equals, the next in turn, so idle shards
  // share the work instead of the first one taking it all.
  size_t pick = next_shard_;
  for (size_t i = 1; i < shards_.size(); ++i) {
    size_t s = (next_shard_ + i) % shards_.size();
    if (shards_[s]->queue.size() < shards_[pick]->queue.size()) pick = s;
  }
  next_shard_ = (pick + 1) % shards_.size();
  shards_[pick]->queue.push_back(std::move(chunk));
  ++queued_;
  cv_.notify_all();
  return Status::OK();
}

void ShardedWriter::Work(size_t index) {
  Shard& shard = *shards_[index];
  std::string compressed;
  std::string sealed;
  archive::Sha256 sha256;
  for (;;) {
    Chunk chunk;
    std::string file_name;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !shard.queue.empty(); });
      if (shard.queue.empty()) return;
      chunk = std::move(shard.queue.front());
      shard.queue.pop_front();
      if (options_.cipher != nullptr) file_name = files_[chunk.file].name;
    }
    ChunkRef ref;
    ref.shard = static_cast<uint32_t>(index);
    ref.size = chunk.data.size();
    if (options_.cipher == nullptr) ref.crc32 = ChunkCrc32(chunk.data.data(), chunk.data.size());
    ref.offset = shard.writer->BytesWritten();
    Status st =
        CompressChunk(options_.compression, chunk.data.data(), chunk.data.size(), &compressed);
    const std::string* stored = &compressed;
    if (st.ok() && options_.cipher != nullptr) {
      // Chunks of a file are numbered in order (File::Write), so the seq is
      // the index the reader will know the chunk by.
      st = options_.cipher->Seal(ChunkPlace(file_name, chunk.seq), compressed.data(),
                                 compressed.size(), &sealed);
      stored = &sealed;
    }
    // The stored bytes' digest, which the signed manifest then vouches for;
    // an encrypted chunk's tag does that already.
    if (st.ok() && options_.cipher == nullptr) {
      sha256.Update(stored->data(), stored->size());
      ref.sha256 = sha256.FinishHex();
    }
    if (st.ok()) st = shard.writer->Append(stored->data(), stored->size());
    ref.stored = stored->size();
    if (st.ok() && options_.progress != nullptr) options_.progress->Add(chunk.data.size());
    std::lock_guard lock(mu_);
    --queued_;
    if (!st.ok()) {
      if (error_.ok()) error_ = st;
      for (auto& s : shards_) {
        queued_ -= s->queue.size();
        s->queue.clear();
      }
    } else {
      StreamFile& file = files_[chunk.file];
      file.size += ref.size;
      file.chunks.push_back(ref);
      seqs_[chunk.file].push_back(chunk.seq);
    }
    cv_.notify_all();
  }
}

void ShardedWriter::StopWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& s : shards_) {
    if (s->worker.joinable()) s->worker.join();
  }
}

Status ShardedWriter::Finish(StreamManifest* manifest) {
  StopWorkers();  // workers drain their queues before they leave
  Status st;
  {
    std::lock_guard lock(mu_);
    st = error_;
  }
  for (auto& s : shards_) {
    if (!st.ok()) break;
    st = s->writer->Commit();
  }
  if (!st.ok()) {
    Abort();
    return st;
  }
  done_ = true;
  manifest->shards.clear();
  for (auto& s : shards_) manifest->shards.push_back({s->name, s->writer->BytesWritten()});
  std::lock_guard lock(mu_);
  manifest->files.clear();
  manifest->blobs.clear();
  std::vector<uint32_t> blob_number(files_.size(), 0);
  for (size_t f = 0; f < files_.size(); ++f) {
    // Chunks finish out of order across shards: put them back in file order.
    std::vector<size_t> order(files_[f].chunks.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return seqs_[f][a] < seqs_[f][b]; });
    std::vector<ChunkRef> sorted;
    sorted.reserve(order.size());
    for (size_t i : order) sorted.push_back(files_[f].chunks[i]);
    files_[f].chunks = std::move(sorted);
    if (is_blob_[f]) {
      blob_number[f] = static_cast<uint32_t>(manifest->blobs.size());
      manifest->blobs.push_back(std::move(files_[f]));
    }
  }
  for (size_t f = 0; f < files_.size(); ++f) {
    if (is_blob_[f]) continue;
    // Own blobs follow the index's (the pre-copy's), which keep their numbers.
    for (Extent& e : files_[f].extents)
      if (e.blob & kOwnBlob) e.blob = external_blobs_ + blob_number[e.blob & ~kOwnBlob];
    manifest->files.push_back(std::move(files_[f]));
  }
  files_.clear();
  manifest->compression = options_.compression;
  return Status::OK();
}

void ShardedWriter::Abort() {
  if (done_) return;
  done_ = true;
  {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = Status::Unavailable("the streamed dump was aborted");
    for (auto& s : shards_) s->queue.clear();
    queued_ = 0;
  }
  cv_.notify_all();
  StopWorkers();
  for (auto& s : shards_) {
    if (s->writer) s->writer->Abort();
  }
}

}  // namespace stasis::stream
