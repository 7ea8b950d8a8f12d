// manifest.json of a streamed checkpoint, written last: no manifest, no
// checkpoint. It carries the same description as a plain archive's
// stasis.json (under "checkpoint", kind "stream"), the shards with their
// sizes, and for every image file the chunks it was cut into: which shard,
// where, how many bytes stored and raw, and the raw bytes' CRC32.
//
// A dump with a pre-copy (format version 2) also has blobs: chunked byte
// streams CRIU never asks for (the pages copied while the process ran, and
// the pages the final dump found changed). Its pages images are then lists
// of extents over those blobs instead of chunks of their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/manifest.h"
#include "common/result.h"
#include "storage/storage.h"
#include "stream/chunk_codec.h"

namespace stasis::stream {

// Version 1: files of chunks. Version 2: blobs and files of extents.
// Version 3: encrypted chunks (an "encryption" section and a "mac").
// Version 4: unencrypted chunks carry the SHA-256 of their stored bytes, so
// that the signed manifest authenticates them (a CRC32 can be forged). Each
// manifest is written with the lowest version that describes it.
inline constexpr int kStreamFormatVersion = 4;
inline constexpr char kStreamManifestName[] = "manifest.json";

struct ChunkRef {
  uint32_t shard = 0;
  uint64_t offset = 0;  // in the shard object
  uint64_t stored = 0;  // bytes in the shard
  uint64_t size = 0;    // raw bytes
  uint32_t crc32 = 0;   // of the raw bytes
  std::string sha256;   // hex, of the stored bytes; "" when encrypted (the tag does it)
};

// `size` bytes at `offset` of blob `blob`.
struct Extent {
  uint32_t blob = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct StreamFile {
  std::string name;
  uint64_t size = 0;
  std::vector<ChunkRef> chunks;  // in file order
  std::vector<Extent> extents;   // instead of chunks: in file order, over blobs
};

struct StreamShard {
  std::string name;  // "shard-0.lz4"
  uint64_t size = 0;
};

// Client-side encryption (stream/chunk_cipher.h): every chunk is sealed,
// and the manifest's MAC (its seal) is made with the checkpoint's key.
struct StreamEncryption {
  std::string cipher;  // "AES-256-GCM"; "" when the checkpoint is not encrypted
  std::string key_id;  // EncryptionKey::Id() of the key it needs
  std::string salt;    // hex: the checkpoint's key derivation salt
};
inline constexpr char kStreamCipher[] = "AES-256-GCM";

struct StreamManifest {
  int format_version = kStreamFormatVersion;
  archive::Manifest checkpoint;  // kind "stream"; its files list stays empty
  ChunkCompression compression = ChunkCompression::kLz4;
  std::vector<StreamShard> shards;
  std::vector<StreamFile> files;
  std::vector<StreamFile> blobs;  // chunks only, never extents
  StreamEncryption encryption;
  // The MAC over everything else in the manifest: made with the encryption
  // key when encrypted, else with the daemon's signing key (signed_by).
  // The parser sets signed_text to the text as read.
  archive::ManifestSeal seal;
};

std::string StreamManifestToJson(const StreamManifest& m);
// What a manifest's MAC covers: the manifest without its "mac", in a
// canonical form (compact, keys sorted) that parsing reproduces.
std::string StreamManifestSignedText(const StreamManifest& m);
// The AAD binding a chunk to its place: file (or blob) name and index.
std::string ChunkPlace(const std::string& file, size_t index);
// Corruption, in one sentence, for anything malformed: unsafe file names,
// chunks pointing outside their shard, extents outside their blob, sizes
// that do not add up, a newer format version.
Result<StreamManifest> StreamManifestFromJson(std::string_view json);

// Reads and parses `prefix`/manifest.json from `store`.
Result<StreamManifest> ReadStreamManifest(storage::Storage* store, const std::string& prefix);

}  // namespace stasis::stream
