#include "stream/chunk_codec.h"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

namespace stasis::stream {

namespace {

// Speed over ratio: the chunk compressors must keep up with CRIU writing
// memory while the process is frozen. zstd's level 1 and lz4's default
// both run at hundreds of MB/s per core, and bail out fast on random data.
constexpr int kZstdLevel = 1;

}  // namespace

Result<ChunkCompression> ParseChunkCompression(const std::string& name) {
  if (name == "none") return ChunkCompression::kNone;
  if (name == "lz4") return ChunkCompression::kLz4;
  if (name == "zstd") return ChunkCompression::kZstd;
  return Status::InvalidArgument("\"" + name +
                                 "\" is not a streaming compression; use lz4, zstd or none");
}

std::string ChunkCompressionName(ChunkCompression c) {
  switch (c) {
    case ChunkCompression::kNone:
      return "none";
    case ChunkCompression::kLz4:
      return "lz4";
    case ChunkCompression::kZstd:
      return "zstd";
  }
  return "none";
}

std::string ShardExtension(ChunkCompression c) {
  switch (c) {
    case ChunkCompression::kNone:
      return "bin";
    case ChunkCompression::kLz4:
      return "lz4";
    case ChunkCompression::kZstd:
      return "zst";
  }
  return "bin";
}

Status CompressChunk(ChunkCompression c, const char* data, size_t size, std::string* out) {
  switch (c) {
    case ChunkCompression::kNone:
      out->assign(data, size);
      return Status::OK();
    case ChunkCompression::kLz4: {
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.contentSize = size;  // lets a reader check the length
      out->resize(LZ4F_compressFrameBound(size, &prefs));
      size_t n = LZ4F_compressFrame(out->data(), out->size(), data, size, &prefs);
      if (LZ4F_isError(n))
        return Status::Internal(std::string("lz4 compression failed: ") + LZ4F_getErrorName(n));
      out->resize(n);
      return Status::OK();
    }
    case ChunkCompression::kZstd: {
      out->resize(ZSTD_compressBound(size));
      size_t n = ZSTD_compress(out->data(), out->size(), data, size, kZstdLevel);
      if (ZSTD_isError(n))
        return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
      out->resize(n);
      return Status::OK();
    }
  }
  return Status::Internal("unknown chunk compression");
}

Status DecompressChunk(ChunkCompression c, const std::string& stored, size_t raw_size,
                       std::string* out) {
  out->resize(raw_size);
  switch (c) {
    case ChunkCompression::kNone:
      if (stored.size() != raw_size) return Status::Corruption("a stored chunk has the wrong size");
      out->assign(stored);
      return Status::OK();
    case ChunkCompression::kLz4: {
      LZ4F_dctx* ctx = nullptr;
      if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return Status::Internal("cannot create an lz4 decompression context");
      size_t dst = raw_size, src = stored.size();
      size_t r = LZ4F_decompress(ctx, out->data(), &dst, stored.data(), &src, nullptr);
      LZ4F_freeDecompressionContext(ctx);
      // r == 0: the frame is complete; all input used and all output made.
      if (LZ4F_isError(r) || r != 0 || dst != raw_size || src != stored.size())
        return Status::Corruption("an lz4 chunk does not decompress to its recorded size");
      return Status::OK();
    }
    case ChunkCompression::kZstd: {
      size_t n = ZSTD_decompress(out->data(), raw_size, stored.data(), stored.size());
      if (ZSTD_isError(n) || n != raw_size)
        return Status::Corruption("a zstd chunk does not decompress to its recorded size");
      return Status::OK();
    }
  }
  return Status::Internal("unknown chunk compression");
}

uint32_t ChunkCrc32(const char* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(data), size));
}

}  // namespace stasis::stream
