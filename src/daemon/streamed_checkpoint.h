// Streamed checkpoints in the daemon: CRIU --stream through the image
// streamer into N shards under a prefix, manifest.json last; and back.
// The checkpointer decides what to dump and what happens to the process;
// these functions move the images.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "archive/manifest.h"
#include "common/progress.h"
#include "criu/engine.h"
#include "criu/image_creds.h"
#include "storage/storage.h"
#include "stream/chunk_cipher.h"
#include "stream/chunk_codec.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {

struct StreamedDumpSpec {
  std::string prefix;  // where the shards and manifest.json go
  int shards = 1;
  stream::ChunkCompression compression = stream::ChunkCompression::kLz4;
  archive::Manifest header;  // what manifest.json says about the checkpoint
  Progress* progress = nullptr;
  // Pre-copy the tree's memory while it runs, so the frozen dump stores
  // only the pages that changed (stream/memory_precopy.h).
  bool pre_copy = false;
  // Client-side encryption: seals every chunk, and the manifest is MACed.
  const stream::ChunkCipher* cipher = nullptr;
  // Signs the manifest of an unencrypted checkpoint (an encrypted one's MAC
  // is made with its own key).
  const archive::ManifestSigner* signer = nullptr;
};

struct StreamedDumpResult {
  uint64_t stored_bytes = 0;  // shards + manifest
  double criu_seconds = 0;
  // When CRIU was started (the freeze): after the pre-copy, if any.
  std::chrono::steady_clock::time_point frozen_at;
  double precopy_seconds = 0;
};

// Runs `criu dump --stream` (opts.images_dir is where the socket lives) with
// the shards written as CRIU goes, after the pre-copy rounds if asked. On success every shard and
// the manifest are committed and the tree is left stopped. On failure nothing stays in storage
// (uploads aborted, committed shards removed, no manifest); the caller resumes the tree.
Result<StreamedDumpResult> DumpStreamed(criu::Engine* engine, criu::DumpOptions opts,
                                        const std::shared_ptr<storage::Storage>& store,
                                        const StreamedDumpSpec& spec);

// True when `location` is a streamed checkpoint (a prefix with a manifest).
bool IsStreamedCheckpoint(storage::Storage* store, const std::string& location);

// The manifest's description of a streamed checkpoint (files list empty)
// and its stored size.
Result<std::pair<archive::Manifest, uint64_t>> ReadStreamedHeader(storage::Storage* store,
                                                                  const std::string& prefix);

// Restores with `criu restore --stream`, serving the images from the
// shards `manifest` (read by the caller, stream::ReadStreamManifest) lists.
// Every shard's presence and size is checked before CRIU starts; each
// chunk's checksum (or, encrypted, its tag under `cipher`) before CRIU
// reads it.
Result<int> RestoreStreamed(criu::Engine* engine, criu::RestoreOptions opts,
                            const std::shared_ptr<storage::Storage>& store,
                            const std::string& prefix, stream::StreamManifest manifest,
                            Progress* progress, const stream::ChunkCipher* cipher = nullptr);

// The task credentials its core images claim (criu/image_creds.h), read
// through the shards before CRIU is started.
Result<std::vector<criu::TaskCreds>> ReadStreamedImageCreds(
    const std::shared_ptr<storage::Storage>& store, const std::string& prefix,
    const stream::StreamManifest& manifest, const stream::ChunkCipher* cipher);

// Removes a streamed checkpoint: manifest first (so it stops being a
// checkpoint at once), then the shards, then the prefix itself if local.
Status DeleteStreamed(storage::Storage* store, const std::string& prefix);

}  // namespace stasis::daemon
