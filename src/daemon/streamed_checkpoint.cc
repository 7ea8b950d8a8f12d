#include "daemon/streamed_checkpoint.h"

#include <chrono>
#include <optional>
#include <thread>

#include "common/log.h"
#include "jobs/process_tree.h"
#include "storage/location.h"
#include "stream/image_capture.h"
#include "stream/image_server.h"
#include "stream/memory_precopy.h"
#include "stream/sharded_reader.h"
#include "stream/sharded_writer.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {

namespace {

std::string ManifestLocation(const std::string& prefix) {
  return storage::JoinLocation(prefix, stream::kStreamManifestName);
}

Status WriteManifest(storage::Storage* store, const std::string& prefix,
                     const stream::StreamManifest& m, uint64_t* size) {
  std::string json = stream::StreamManifestToJson(m);
  ASSIGN_OR_RETURN(auto writer, store->NewWriter(ManifestLocation(prefix)));
  RETURN_IF_ERROR(writer->Append(json.data(), json.size()));
  RETURN_IF_ERROR(writer->Commit());
  *size = json.size();
  return Status::OK();
}

void RemoveShards(storage::Storage* store, const std::string& prefix,
                  const stream::StreamManifest& m) {
  for (const auto& s : m.shards) store->Remove(storage::JoinLocation(prefix, s.name)).ok();
  store->Remove(prefix).ok();  // the local directory, when empty
}

stream::ShardedWriterOptions WriterOptions(const StreamedDumpSpec& spec) {
  stream::ShardedWriterOptions wo;
  wo.shards = spec.shards;
  wo.compression = spec.compression;
  wo.progress = spec.progress;
  wo.cipher = spec.cipher;
  return wo;
}

// Rounds of pre-copy while the tree runs: the first stores all its memory,
// each next one what changed during the one before (and its commit). They
// stop when little changed, when a round no longer halves what the last
// one stored (the process writes as fast as we copy), or after kMaxRounds.
// Every round's objects are committed before the next round starts, so the
// freeze waits for none of them; on failure none remain.
constexpr int kMaxRounds = 4;
constexpr uint64_t kSmallRound = 8ull << 20;

Result<stream::StreamManifest> PreCopy(int pid, const std::shared_ptr<storage::Storage>& store,
                                       const StreamedDumpSpec& spec, stream::PageIndex* index,
                                       StreamedDumpResult* out) {
  auto t0 = std::chrono::steady_clock::now();
  stream::StreamManifest done;  // the rounds committed so far, folded together
  uint64_t previous = 0;
  for (int round = 1; round <= kMaxRounds; ++round) {
    if (spec.progress)
      spec.progress->SetPhase("pre-copying memory (round " + std::to_string(round) + ")");
    stream::ShardedWriterOptions wo = WriterOptions(spec);
    wo.shard_prefix = "precopy" + std::to_string(round) + "-";
    stream::PrecopyRound r;
    stream::StreamManifest m;
    Status st = [&]() -> Status {
      ASSIGN_OR_RETURN(auto writer, stream::ShardedWriter::Open(store, spec.prefix, wo));
      // A failure aborts the writer (its destructor, or Finish itself).
      ASSIGN_OR_RETURN(
          r, stream::PrecopyMemory(jobs::ProcessTree(pid), "precopy-" + std::to_string(round),
                                   static_cast<uint32_t>(done.blobs.size()), writer.get(), index));
      return writer->Finish(&m);
    }();
    if (!st.ok()) {
      RemoveShards(store.get(), spec.prefix, done);
      return st;
    }
    stream::MergePrecopy(std::move(done), &m);
    done = std::move(m);
    STASIS_LOG(Info) << "pre-copy round " << round << " of pid " << pid << ": read " << r.read_bytes
                     << " bytes, stored " << r.stored_bytes << " new, in " << r.seconds << " s";
    if (r.stored_bytes < kSmallRound || (round > 1 && r.stored_bytes * 2 > previous)) break;
    previous = r.stored_bytes;
  }
  out->precopy_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return done;
}

}  // namespace

Result<StreamedDumpResult> DumpStreamed(criu::Engine* engine, criu::DumpOptions opts,
                                        const std::shared_ptr<storage::Storage>& store,
                                        const StreamedDumpSpec& spec) {
  StreamedDumpResult out;
  stream::PageIndex index;  // outlives the writer, which reads it
  std::optional<stream::StreamManifest> precopy;
  if (spec.pre_copy) {
    auto pre = PreCopy(opts.pid, store, spec, &index, &out);
    if (!pre.ok()) {
      store->Remove(spec.prefix).ok();
      return pre.status().WithContext("the pre-copy failed");
    }
    precopy = std::move(*pre);
  }
  // Nothing of a failed dump stays: the pre-copy's committed objects neither.
  auto discard = [&] {
    if (precopy)
      RemoveShards(store.get(), spec.prefix, *precopy);
    else
      store->Remove(spec.prefix).ok();
  };

  auto writer = stream::ShardedWriter::Open(store, spec.prefix, WriterOptions(spec));
  if (!writer.ok()) {
    discard();
    return writer.status();
  }
  if (precopy) {
    (*writer)->UsePageIndex(&index, static_cast<uint32_t>(precopy->blobs.size()));
    if (spec.progress) spec.progress->SetPhase("streaming the changed pages to " + spec.prefix);
  }
  auto capture = stream::ImageCapture::Listen(opts.images_dir.string());
  if (!capture.ok()) {
    (*writer)->Abort();
    discard();
    return capture.status();
  }

  opts.stream = true;
  auto t0 = std::chrono::steady_clock::now();
  out.frozen_at = t0;
  Status served;
  std::thread serving([&] { served = (*capture)->Serve(writer->get()); });
  Status dumped = engine->Dump(opts);
  if (!dumped.ok()) (*capture)->Cancel();
  serving.join();
  out.criu_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!dumped.ok() || !served.ok()) {
    (*writer)->Abort();
    discard();
    // The streamer's error says why CRIU stopped (a failed upload); CRIU's
    // own message is only "broken pipe".
    return served.ok() ? dumped : served;
  }

  stream::StreamManifest m;
  m.checkpoint = spec.header;
  m.checkpoint.kind = "stream";
  m.checkpoint.compression = stream::ChunkCompressionName(spec.compression);
  if (spec.progress) spec.progress->SetPhase("committing " + spec.prefix);
  Status finished = (*writer)->Finish(&m);
  if (!finished.ok()) {
    discard();
    return finished;
  }
  if (precopy) stream::MergePrecopy(std::move(*precopy), &m);
  for (const auto& f : m.files) m.checkpoint.total_bytes += f.size;
  if (spec.cipher != nullptr) {
    m.encryption.cipher = stream::kStreamCipher;
    m.encryption.key_id = spec.cipher->KeyId();
    m.encryption.salt = spec.cipher->SaltHex();
    m.seal.mac = spec.cipher->Mac(stream::StreamManifestSignedText(m));
  } else if (spec.signer != nullptr) {
    m.seal.signed_by = spec.signer->KeyId();
    m.seal.mac = spec.signer->Mac(stream::StreamManifestSignedText(m));
  }
  uint64_t manifest_size = 0;
  Status written = WriteManifest(store.get(), spec.prefix, m, &manifest_size);
  if (!written.ok()) {
    RemoveShards(store.get(), spec.prefix, m);
    return written.WithContext("cannot write the manifest of " + spec.prefix);
  }
  for (const auto& s : m.shards) out.stored_bytes += s.size;
  out.stored_bytes += manifest_size;
  return out;
}

bool IsStreamedCheckpoint(storage::Storage* store, const std::string& location) {
  return store->Stat(ManifestLocation(location)).ok();
}

Result<std::pair<archive::Manifest, uint64_t>> ReadStreamedHeader(storage::Storage* store,
                                                                  const std::string& prefix) {
  ASSIGN_OR_RETURN(stream::StreamManifest m, stream::ReadStreamManifest(store, prefix));
  uint64_t size = 0;
  for (const auto& s : m.shards) size += s.size;
  auto info = store->Stat(ManifestLocation(prefix));
  if (info.ok()) size += info->size;
  return std::make_pair(std::move(m.checkpoint), size);
}

Result<int> RestoreStreamed(criu::Engine* engine, criu::RestoreOptions opts,
                            const std::shared_ptr<storage::Storage>& store,
                            const std::string& prefix, stream::StreamManifest m, Progress* progress,
                            const stream::ChunkCipher* cipher) {
  const archive::Manifest header = m.checkpoint;
  uint64_t total = 0;
  for (const auto& s : m.shards) total += s.size;
  if (progress) progress->SetPhase("restoring from " + prefix, total);
  ASSIGN_OR_RETURN(auto source,
                   stream::ShardedReader::Open(store, prefix, std::move(m), progress, cipher));
  ASSIGN_OR_RETURN(auto server, stream::ImageServer::Listen(opts.images_dir.string()));
  opts.stream = true;
  // The manifest's flags, as for a plain archive.
  opts.tcp_established = header.tcp_established;
  opts.shell_job = header.shell_job;
  opts.ext_unix_sk = header.ext_unix_sk;
  opts.file_locks = header.file_locks;
  Status served;
  std::thread serving([&] { served = server->Serve(source.get()); });
  auto pid = engine->Restore(opts);
  if (!pid.ok()) server->Cancel();
  serving.join();
  if (!pid.ok()) {
    // A damaged chunk shows up in CRIU only as a short image: say which.
    return served.ok() ? pid.status() : served;
  }
  return *pid;
}

Status DeleteStreamed(storage::Storage* store, const std::string& prefix) {
  ASSIGN_OR_RETURN(stream::StreamManifest m, stream::ReadStreamManifest(store, prefix));
  RETURN_IF_ERROR(store->Remove(ManifestLocation(prefix)));
  RemoveShards(store, prefix, m);
  return Status::OK();
}

Result<std::vector<criu::TaskCreds>> ReadStreamedImageCreds(
    const std::shared_ptr<storage::Storage>& store, const std::string& prefix,
    const stream::StreamManifest& manifest, const stream::ChunkCipher* cipher) {
  ASSIGN_OR_RETURN(auto reader,
                   stream::ShardedReader::Open(store, prefix, manifest, nullptr, cipher));
  std::vector<criu::TaskCreds> out;
  for (const auto& f : manifest.files) {
    if (!f.name.starts_with("core-") || !f.name.ends_with(".img")) continue;
    if (f.size > (64u << 20))
      return Status::Corruption("its image " + f.name + " is implausibly large");
    ASSIGN_OR_RETURN(auto image, reader->Open(f.name));
    std::string bytes;
    char buf[64 * 1024];
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, image->Read(buf, sizeof buf));
      if (n == 0) break;
      bytes.append(buf, n);
    }
    ASSIGN_OR_RETURN(criu::TaskCreds creds, criu::CredsFromCoreImage(bytes, f.name));
    out.push_back(std::move(creds));
  }
  if (out.empty()) return Status::Corruption("it holds no task images");
  return out;
}

}  // namespace stasis::daemon
