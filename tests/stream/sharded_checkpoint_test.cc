// Streamed checkpoints end to end at the module level, with the real CRIU
// and local storage: a 64 MiB random-memory process is dumped through the
// streamer into N compressed shards, restored from them through ranged
// reads, and its own checksum of its memory is the same. A flipped byte or
// a missing shard is refused and nothing runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "../common/session_process.h"
#include "criu/engine.h"
#include "storage/local/local_storage.h"
#include "stream/image_capture.h"
#include "stream/image_server.h"
#include "stream/memory_precopy.h"
#include "stream/sharded_reader.h"
#include "stream/sharded_writer.h"

namespace stasis::stream {
namespace {

namespace fs = std::filesystem;
using testing::ProcState;
using testing::WaitFor;

std::vector<std::string> Checksums(const std::string& log) {
  std::ifstream in(log);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find("checksum") != std::string::npos) out.push_back(line);
  return out;
}

struct Case {
  int shards;
  ChunkCompression compression;
};

class ShardedCheckpointTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    auto engine = criu::OpenEngine("");
    if (!engine.ok()) GTEST_SKIP() << engine.status().ToString();
    engine_ = std::move(engine).value();
    char tmpl[] = "/tmp/stasis-shards-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_shared<storage::LocalStorage>();
  }
  void TearDown() override {
    for (int p : kill_) ::kill(-p, SIGKILL);
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  // Starts memhog and waits for its first checksum; the checkpoint's
  // directory is made ready too.
  int StartMemhog(const std::string& log, int mib) {
    int child = testing::SpawnSession({STASIS_MEMHOG, std::to_string(mib)}, log);
    kill_.push_back(child);
    EXPECT_TRUE(WaitFor([&] { return Checksums(log).size() == 1; }, 20000))
        << "memhog did not start";
    fs::create_directories(dir_ + "/ckpt");
    return child;
  }

  // Restores `prefix` and has memhog checksum its memory again: it must be
  // the checksum it printed before the dump.
  void ExpectRestoredMemoryEqual(const std::string& prefix, const std::string& log) {
    auto restored = Restore(prefix);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    ::kill(*restored, SIGUSR1);
    ASSERT_TRUE(WaitFor([&] { return Checksums(log).size() == 2; }, 20000))
        << "no checksum after restore";
    auto sums = Checksums(log);
    EXPECT_EQ(sums[0], sums[1]) << "memory differs after the round trip";
  }

  // Streams a dump of `pid` into `prefix`; writes manifest.json on success.
  // With `pre_copy`, the memory is first copied while the process runs, and
  // the dump stores only the pages that changed.
  Status Dump(int pid, const std::string& prefix, const Case& c, bool pre_copy = false,
              StreamManifest* made = nullptr) {
    ShardedWriterOptions o;
    o.shards = c.shards;
    o.compression = c.compression;
    o.chunk_size = 1 << 20;  // small chunks: 64 of them, spread over every shard
    o.cipher = cipher_;
    StreamManifest precopy;
    if (pre_copy) {
      ShardedWriterOptions po = o;
      po.shard_prefix = "precopy-";
      auto pre = ShardedWriter::Open(store_, prefix, po);
      if (!pre.ok()) return pre.status();
      auto round = PrecopyMemory({pid}, "precopy-1", 0, pre->get(), &index_);
      if (!round.ok()) return round.status();
      RETURN_IF_ERROR((*pre)->Finish(&precopy));
    }
    auto writer = ShardedWriter::Open(store_, prefix, o);
    if (!writer.ok()) return writer.status();
    if (pre_copy) (*writer)->UsePageIndex(&index_, static_cast<uint32_t>(precopy.blobs.size()));
    std::string images = dir_ + "/dump-images";
    fs::create_directories(images);
    auto capture = ImageCapture::Listen(images);
    if (!capture.ok()) return capture.status();
    Status served;
    std::thread server([&] { served = (*capture)->Serve(writer->get()); });
    criu::DumpOptions d;
    d.pid = pid;
    d.images_dir = images;
    d.stream = true;
    Status dumped = engine_->Dump(d);
    if (!dumped.ok()) (*capture)->Cancel();
    server.join();
    if (!dumped.ok() || !served.ok()) {
      (*writer)->Abort();
      return dumped.ok() ? served : dumped;
    }
    StreamManifest m;
    RETURN_IF_ERROR((*writer)->Finish(&m));
    if (pre_copy) MergePrecopy(std::move(precopy), &m);
    if (cipher_ != nullptr) {
      m.encryption.cipher = kStreamCipher;
      m.encryption.key_id = cipher_->KeyId();
      m.encryption.salt = cipher_->SaltHex();
      m.seal.mac = cipher_->Mac(StreamManifestSignedText(m));
    }
    auto mw = store_->NewWriter(prefix + "/" + kStreamManifestName);
    if (!mw.ok()) return mw.status();
    std::string json = StreamManifestToJson(m);
    if (made != nullptr) *made = m;
    RETURN_IF_ERROR((*mw)->Append(json.data(), json.size()));
    return (*mw)->Commit();
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Flips bits of the byte in the middle of `path`.
  static void FlipMiddleByte(const std::string& path, char mask) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    auto at = static_cast<std::streamoff>(fs::file_size(path) / 2);
    f.seekg(at);
    char b = 0;
    f.read(&b, 1);
    f.seekp(at);
    b = static_cast<char>(b ^ mask);
    f.write(&b, 1);
  }

  // After a refused restore: CRIU may have recreated the task under its old
  // pid before the bad chunk stopped it; it must be gone (or at most a
  // zombie), and memhog never logged a second checksum.
  void ExpectNothingRan(int pid, const std::string& log, const std::string& why) {
    EXPECT_TRUE(WaitFor([&] { return ::kill(pid, 0) != 0 || ProcState(pid) == 'Z'; }, 5000))
        << "a process runs under the old pid: " << why;
    EXPECT_EQ(Checksums(log).size(), 1u) << "a process ran: " << why;
  }

  Result<int> Restore(const std::string& prefix) {
    ASSIGN_OR_RETURN(StreamManifest m,
                     StreamManifestFromJson(ReadFile(prefix + "/" + kStreamManifestName)));
    ASSIGN_OR_RETURN(auto source,
                     ShardedReader::Open(store_, prefix, std::move(m), nullptr, restore_cipher_));
    std::string images = dir_ + "/restore-images";
    fs::remove_all(images);
    fs::create_directories(images);
    ASSIGN_OR_RETURN(auto server, ImageServer::Listen(images));
    Status served;
    std::thread serving([&] { served = server->Serve(source.get()); });
    criu::RestoreOptions r;
    r.images_dir = images;
    r.stream = true;
    auto pid = engine_->Restore(r);
    if (!pid.ok()) server->Cancel();
    serving.join();
    // As the daemon does: the streamer's reason over CRIU's "EOF".
    if (!pid.ok()) return served.ok() ? pid.status() : served;
    kill_.push_back(*pid);
    if (!served.ok()) return served;
    return *pid;
  }

  void KillTree(int pid) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ASSERT_TRUE(WaitFor([&] { return ::kill(-pid, 0) != 0; }, 20000));
  }

  PageIndex index_;
  const ChunkCipher* cipher_ = nullptr;          // seals what Dump() writes
  const ChunkCipher* restore_cipher_ = nullptr;  // opens what Restore() reads
  std::unique_ptr<criu::Engine> engine_;
  std::shared_ptr<storage::Storage> store_;
  std::string dir_;
  std::vector<int> kill_;
};

TEST_P(ShardedCheckpointTest, MemoryRoundTripsThroughShards) {
  const Case c = GetParam();
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 64);
  std::string prefix = dir_ + "/ckpt/dump-mem";
  Status st = Dump(pid, prefix, c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (int i = 0; i < c.shards; ++i) {
    std::string shard =
        prefix + "/shard-" + std::to_string(i) + "." + ShardExtension(c.compression);
    ASSERT_TRUE(fs::exists(shard)) << shard;
    EXPECT_GT(fs::file_size(shard), 1u << 20) << "chunks should spread over every shard";
  }
  KillTree(pid);

  ExpectRestoredMemoryEqual(prefix, log);
}

INSTANTIATE_TEST_SUITE_P(
    Shards, ShardedCheckpointTest,
    ::testing::Values(Case{1, ChunkCompression::kLz4}, Case{2, ChunkCompression::kLz4},
                      Case{4, ChunkCompression::kLz4}, Case{3, ChunkCompression::kZstd},
                      Case{2, ChunkCompression::kNone}),
    [](const auto& info) {
      return std::to_string(info.param.shards) + "_" + ChunkCompressionName(info.param.compression);
    });

class PreCopyTest : public ShardedCheckpointTest {};

// The pre-copy reads the running process's memory; the frozen dump then
// finds nearly every page in it and stores only a little beside it, and the
// restore assembles the pages images from both.
TEST_F(PreCopyTest, APreCopiedDumpStoresLittleAndRestores) {
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 64);
  std::string prefix = dir_ + "/ckpt/dump-mem";
  StreamManifest m;
  Status st = Dump(pid, prefix, Case{2, ChunkCompression::kLz4}, /*pre_copy=*/true, &m);
  ASSERT_TRUE(st.ok()) << st.ToString();

  ASSERT_GE(m.blobs.size(), 2u);
  EXPECT_EQ(m.blobs[0].name, "precopy-1");
  EXPECT_GE(m.blobs[0].size, 64u << 20) << "the pre-copy missed the process's memory";
  uint64_t changed = 0, extent_bytes = 0;
  size_t pages_images = 0;
  for (const StreamFile& b : m.blobs)
    if (b.name.starts_with("changed-pages-")) changed += b.size;
  for (const StreamFile& f : m.files) {
    if (!f.name.starts_with("pages-")) continue;
    ++pages_images;
    EXPECT_TRUE(f.chunks.empty());
    for (const Extent& e : f.extents) extent_bytes += e.size;
  }
  EXPECT_GE(pages_images, 1u);
  EXPECT_GE(extent_bytes, 64u << 20);
  // memhog sleeps once it has filled its memory: only pages CRIU's own
  // parasite and the stack touch in between can have changed.
  EXPECT_LT(changed, 4u << 20) << "the frozen dump stored pages the pre-copy had";
  KillTree(pid);

  ExpectRestoredMemoryEqual(prefix, log);
}

class DamagedShardTest : public ShardedCheckpointTest {};

TEST_F(DamagedShardTest, AFlippedByteOrAMissingShardIsRefusedAndNothingRuns) {
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 32);
  std::string prefix = dir_ + "/ckpt/dump-mem";
  ASSERT_TRUE(Dump(pid, prefix, Case{2, ChunkCompression::kNone}).ok());
  KillTree(pid);

  // One flipped byte in the middle of shard 1: caught by the chunk's CRC32.
  std::string shard = prefix + "/shard-1.bin";
  FlipMiddleByte(shard, 0x10);
  auto restored = Restore(prefix);
  ASSERT_FALSE(restored.ok()) << "a damaged shard was restored";
  ExpectNothingRan(pid, log, "from a damaged shard");

  fs::remove(shard);
  auto missing = Restore(prefix);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find("shard-1.bin is missing"), std::string::npos)
      << missing.status().message();
}

// A difference of `span` bytes at `at` that leaves the CRC32 of `data`
// unchanged: CRC32 is linear over GF(2), so the CRCs of the 8 * span unit
// flips (less the CRC of no flip) have a non-trivial combination that sums
// to zero, found by Gaussian elimination. Anyone who can write to storage
// can do this; only the digest in the signed manifest catches it.
std::string CrcPreservingDifference(const std::string& data, size_t at, size_t span) {
  const uint32_t base = ChunkCrc32(data.data(), data.size());
  std::vector<std::pair<uint32_t, std::vector<bool>>> rows;  // syndrome, which flips
  for (size_t bit = 0; bit < 8 * span; ++bit) {
    std::string flipped = data;
    flipped[at + bit / 8] = static_cast<char>(flipped[at + bit / 8] ^ (1 << (bit % 8)));
    std::vector<bool> which(8 * span);
    which[bit] = true;
    rows.push_back({ChunkCrc32(flipped.data(), flipped.size()) ^ base, which});
  }
  for (int b = 31, r = 0; b >= 0; --b) {  // reduce to echelon form
    size_t pivot = r;
    while (pivot < rows.size() && ((rows[pivot].first >> b) & 1) == 0) ++pivot;
    if (pivot == rows.size()) continue;
    std::swap(rows[r], rows[pivot]);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i == static_cast<size_t>(r) || ((rows[i].first >> b) & 1) == 0) continue;
      rows[i].first ^= rows[r].first;
      for (size_t k = 0; k < rows[i].second.size(); ++k)
        rows[i].second[k] = rows[i].second[k] != rows[r].second[k];
    }
    ++r;
  }
  for (const auto& [syndrome, which] : rows) {
    if (syndrome != 0) continue;
    std::string diff(span, '\0');
    for (size_t k = 0; k < which.size(); ++k)
      if (which[k]) diff[k / 8] = static_cast<char>(diff[k / 8] ^ (1 << (k % 8)));
    if (diff != std::string(span, '\0')) return diff;
  }
  return "";
}

// The CRC32 guards against damage, not against an attacker: bytes changed
// so that the CRC still matches are refused by the SHA-256 of the stored
// bytes that the (signed) manifest carries, before CRIU sees them.
TEST_F(DamagedShardTest, AnEditThatKeepsTheCrcIsCaughtByTheDigest) {
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 16);
  std::string prefix = dir_ + "/ckpt/dump-forged";
  StreamManifest m;
  ASSERT_TRUE(Dump(pid, prefix, Case{1, ChunkCompression::kNone}, false, &m).ok());
  KillTree(pid);
  const StreamFile* pages = nullptr;
  for (const StreamFile& f : m.files)
    if (f.name.rfind("pages-", 0) == 0 && !f.chunks.empty()) pages = &f;
  ASSERT_NE(pages, nullptr);
  for (const StreamFile& f : m.files)
    for (const ChunkRef& c : f.chunks) EXPECT_EQ(c.sha256.size(), 64u) << f.name;
  const ChunkRef& ref = pages->chunks.front();
  std::string shard_path = prefix + "/" + m.shards[ref.shard].name;
  std::string shard = ReadFile(shard_path);
  std::string chunk = shard.substr(ref.offset, ref.stored);
  std::string diff = CrcPreservingDifference(chunk, chunk.size() / 2, 5);
  ASSERT_FALSE(diff.empty());
  for (size_t i = 0; i < diff.size(); ++i) chunk[chunk.size() / 2 + i] ^= diff[i];
  ASSERT_EQ(ChunkCrc32(chunk.data(), chunk.size()), ref.crc32) << "the forgery premise";
  shard.replace(ref.offset, ref.stored, chunk);
  std::ofstream(shard_path, std::ios::binary | std::ios::trunc) << shard;

  auto restored = Restore(prefix);
  ASSERT_FALSE(restored.ok()) << "a chunk edited to keep its CRC32 was restored";
  EXPECT_NE(restored.status().message().find("digest mismatch"), std::string::npos)
      << restored.status().message();
  ExpectNothingRan(pid, log, "from a chunk edited to keep its CRC");
}

class EncryptedShardTest : public ShardedCheckpointTest {
 protected:
  // Dumps and restores seal and open with a new checkpoint's cipher under
  // the key of 64 `hex` digits.
  EncryptionKey UseKey(char hex) {
    auto key = EncryptionKey::FromHex(std::string(64, hex), "test");
    EXPECT_TRUE(key.ok());
    auto cipher = ChunkCipher::ForNewCheckpoint(*key);
    EXPECT_TRUE(cipher.ok());
    cipher_owned_.emplace(std::move(*cipher));
    cipher_ = restore_cipher_ = &*cipher_owned_;
    return *key;
  }
  std::optional<ChunkCipher> cipher_owned_;
};

// Sealed chunks (here uncompressed, so nothing but the cipher hides them),
// a pre-copy's blobs among them: the manifest keeps no CRC of the raw bytes
// and its MAC covers it; an edited manifest, another key, no key or a
// flipped byte is refused and nothing runs.
TEST_F(EncryptedShardTest, SealedChunksAreAuthenticatedAndAlterationsAreRefused) {
  EncryptionKey key = UseKey('a');
  const ChunkCipher& cipher = *cipher_;
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 32);
  std::string prefix = dir_ + "/ckpt/dump-mem";
  Status st = Dump(pid, prefix, Case{2, ChunkCompression::kNone}, /*pre_copy=*/true);
  ASSERT_TRUE(st.ok()) << st.ToString();
  KillTree(pid);

  std::string text = ReadFile(prefix + "/" + kStreamManifestName);
  auto parsed = StreamManifestFromJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->format_version, 3);
  EXPECT_EQ(parsed->encryption.key_id, key.Id());
  EXPECT_TRUE(cipher.VerifyMac(parsed->seal.signed_text, parsed->seal.mac))
      << "the MAC does not cover the manifest as read back";
  size_t chunks = 0;
  for (const auto* list : {&parsed->files, &parsed->blobs})
    for (const StreamFile& f : *list)
      for (const ChunkRef& c : f.chunks) {
        ++chunks;
        EXPECT_EQ(c.crc32, 0u) << "a CRC of raw bytes in an encrypted manifest";
        EXPECT_EQ(c.stored, c.size + ChunkCipher::kOverhead) << f.name;
      }
  EXPECT_GT(chunks, 32u);

  // An edited manifest (a blob renamed) no longer matches its MAC.
  std::string edited = text;
  std::string field = "\"precopy-1\"";
  ASSERT_NE(edited.find(field), std::string::npos) << text.substr(0, 400);
  edited.replace(edited.find(field), field.size(), "\"precopy-9\"");
  auto forged = StreamManifestFromJson(edited);
  ASSERT_TRUE(forged.ok());
  EXPECT_FALSE(cipher.VerifyMac(forged->seal.signed_text, forged->seal.mac));

  auto other = EncryptionKey::FromHex(std::string(64, 'b'), "test");
  ASSERT_TRUE(other.ok());
  auto wrong = ChunkCipher::ForCheckpoint(*other, cipher.SaltHex());
  ASSERT_TRUE(wrong.ok());
  restore_cipher_ = &*wrong;
  EXPECT_FALSE(Restore(prefix).ok()) << "restored with another key";
  ExpectNothingRan(pid, log, "from chunks another key opened");
  restore_cipher_ = nullptr;
  EXPECT_EQ(Restore(prefix).status().code(), StatusCode::kFailedPrecondition)
      << "an encrypted checkpoint was read without a key";

  restore_cipher_ = &cipher;
  FlipMiddleByte(prefix + "/shard-1.bin", 0x01);
  EXPECT_FALSE(Restore(prefix).ok()) << "a tampered chunk was restored";
  ExpectNothingRan(pid, log, "from a tampered chunk");
}

// With its key, an encrypted pre-copied checkpoint restores the memory.
TEST_F(EncryptedShardTest, EncryptedMemoryRoundTrips) {
  UseKey('c');
  std::string log = dir_ + "/memhog.log";
  int pid = StartMemhog(log, 32);
  std::string prefix = dir_ + "/ckpt/dump-mem";
  Status st = Dump(pid, prefix, Case{3, ChunkCompression::kLz4}, /*pre_copy=*/true);
  ASSERT_TRUE(st.ok()) << st.ToString();
  KillTree(pid);
  ExpectRestoredMemoryEqual(prefix, log);
}

}  // namespace
}  // namespace stasis::stream
