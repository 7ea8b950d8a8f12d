// The dump side of a streamed checkpoint: an ImageSink that cuts every image
// file into chunks, spreads them over N shards (each chunk to the shard with
// the shortest queue), compresses them on N threads and appends each to its
// shard's storage writer (a local file or an S3 multipart upload), all while
// CRIU is still writing. Memory is bounded: a writer of a full queue waits.
//
// For a pre-copy it also takes blobs (byte streams that are not images,
// chunked the same way) and, once given a PageIndex, writes CRIU's pages
// images as extents: pages found in the index point at where they already
// are (the pre-copy's blobs, in objects of their own committed before the
// freeze), and only the others are stored, in a blob of this writer.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/progress.h"
#include "storage/counting.h"
#include "storage/storage.h"
#include "stream/chunk_cipher.h"
#include "stream/image_capture.h"
#include "stream/page_index.h"
#include "stream/stream_manifest.h"

namespace stasis::stream {

struct ShardedWriterOptions {
  int shards = 1;
  ChunkCompression compression = ChunkCompression::kLz4;
  size_t chunk_size = 4 << 20;
  std::string shard_prefix = "shard-";  // objects are <prefix><i>.<ext>
  Progress* progress = nullptr;         // raw bytes taken from CRIU
  // Seals every chunk after compression (client-side encryption); the raw
  // bytes' CRC32 is then left out of the manifest, as it would tell
  // something of them. Must outlive the writer.
  const ChunkCipher* cipher = nullptr;
};

class ShardedWriter final : public ImageSink {
 public:
  // Opens shard-<i>.<ext> under `prefix` (created when local).
  static Result<std::unique_ptr<ShardedWriter>> Open(const std::shared_ptr<storage::Storage>& store,
                                                     const std::string& prefix,
                                                     const ShardedWriterOptions& options);
  ~ShardedWriter() override;

  Result<std::unique_ptr<ImageFileSink>> Create(const std::string& name) override;

  // A blob: its id is what PagePos::blob names. In a writer that holds only
  // blobs (a pre-copy's) it is also the blob's number in the manifest.
  struct Blob {
    uint32_t id = 0;
    std::unique_ptr<ImageFileSink> sink;
  };
  Result<Blob> CreateBlob(const std::string& name);
  // From now on pages images (pages-*.img) are stored as extents against
  // `index`, which must outlive the writer and take no more inserts. The
  // index's blobs are another writer's (the pre-copy's, numbered from 0 in
  // its manifest); this one's own blobs are numbered after those
  // `external_blobs` in the manifest Finish() makes (see MergePrecopy).
  void UsePageIndex(const PageIndex* index, uint32_t external_blobs) {
    page_index_ = index;
    external_blobs_ = external_blobs;
  }

  // After the capture succeeded: drains the queues, commits every shard and
  // fills `manifest` with the shards and files. On any failure every shard
  // is aborted (nothing stays behind) and the error is returned.
  Status Finish(StreamManifest* manifest);
  // Drops everything (a failed capture). Idempotent.
  void Abort();

 private:
  struct Chunk {
    size_t file = 0;  // index into files_
    size_t seq = 0;   // position within the file
    std::string data;
  };
  struct Shard {
    std::string name;
    std::unique_ptr<storage::Writer> writer;
    std::unique_ptr<storage::StoredBytesWatch> stored;  // after `writer`: goes first
    std::deque<Chunk> queue;                            // guarded by mu_
    std::thread worker;
  };
  class File;
  class DedupFile;

  ShardedWriter(const ShardedWriterOptions& options) : options_(options) {}
  Status Submit(Chunk chunk);
  void Work(size_t shard);
  void StopWorkers();
  size_t AddEntry(const std::string& name, bool blob);  // needs mu_
  void SetExtents(size_t file, std::vector<Extent> extents, uint64_t size);

  const ShardedWriterOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StreamFile> files_;  // guarded by mu_: images and blobs
  std::vector<bool> is_blob_;      // guarded by mu_: per files_ entry
  const PageIndex* page_index_ = nullptr;
  uint32_t external_blobs_ = 0;
  std::vector<std::vector<size_t>> seqs_;  // guarded by mu_: chunk seq per files_ chunk
  size_t queued_ = 0;                      // guarded by mu_
  size_t next_shard_ = 0;                  // guarded by mu_: where the search for a shard starts
  bool stopping_ = false;                  // guarded by mu_
  Status error_;                           // guarded by mu_
  bool done_ = false;
};

// Creates the directory a streamed checkpoint's objects go in, when the
// location is local (0700); S3 prefixes need nothing.
Status EnsurePrefix(const std::string& prefix);

}  // namespace stasis::stream
