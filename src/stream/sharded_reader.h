// The restore side of a streamed checkpoint: an ImageSource over its
// manifest. Each image CRIU asks for is read back chunk by chunk with
// ranged reads of the shards, several chunks ahead and in parallel, and
// every chunk is authenticated (when encrypted), decompressed and checked
// against its CRC32 before a byte of it reaches CRIU. Images made of extents (a pre-copied dump)
// are read the same way from the blobs their extents point into.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/progress.h"
#include "storage/storage.h"
#include "stream/chunk_cipher.h"
#include "stream/image_server.h"
#include "stream/stream_manifest.h"

namespace stasis::stream {

class ShardedReader final : public ImageSource {
 public:
  // Checks up front that every shard exists with the size the manifest
  // gives, so a missing or truncated shard is refused before CRIU starts.
  static Result<std::unique_ptr<ShardedReader>> Open(std::shared_ptr<storage::Storage> store,
                                                     const std::string& prefix,
                                                     StreamManifest manifest,
                                                     Progress* progress = nullptr,
                                                     const ChunkCipher* cipher = nullptr);

  Result<std::unique_ptr<storage::Reader>> Open(const std::string& name) override;
  const StreamManifest& manifest() const { return manifest_; }

 private:
  ShardedReader(std::shared_ptr<storage::Storage> store, std::string prefix,
                StreamManifest manifest, Progress* progress, const ChunkCipher* cipher);
  std::shared_ptr<storage::Storage> store_;
  std::string prefix_;
  StreamManifest manifest_;
  Progress* progress_;
  const ChunkCipher* cipher_;  // for an encrypted manifest; outlives the reader
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<std::vector<uint64_t>> blob_starts_;  // per blob: where each chunk starts
};

}  // namespace stasis::stream
