// One chunk of image data as it is stored in a shard: an independent
// compressed frame (lz4 frame, zstd frame, or the raw bytes), so any chunk
// can be read and decompressed alone, and a shard file is still a valid
// .lz4/.zst stream to the standard tools (concatenated frames).
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace stasis::stream {

enum class ChunkCompression { kNone, kLz4, kZstd };

// "none"|"lz4"|"zstd" (gzip has no place here: too slow to keep up with CRIU).
Result<ChunkCompression> ParseChunkCompression(const std::string& name);
std::string ChunkCompressionName(ChunkCompression c);
// "bin", "lz4", "zst": shard-<i>.<ext>.
std::string ShardExtension(ChunkCompression c);

// Compresses `size` bytes into `out` (replaced; capacity reused).
Status CompressChunk(ChunkCompression c, const char* data, size_t size, std::string* out);
// Decompresses a stored chunk that must yield exactly `raw_size` bytes.
Status DecompressChunk(ChunkCompression c, const std::string& stored, size_t raw_size,
                       std::string* out);

uint32_t ChunkCrc32(const char* data, size_t size);

}  // namespace stasis::stream
