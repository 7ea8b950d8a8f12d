#include "archive/compression.h"

namespace stasis::archive {

namespace {
struct Mode {
  Compression c;
  std::string_view name;
  std::string_view ext;
};
constexpr Mode kModes[] = {
    {Compression::kNone, "none", ".tar"},
    {Compression::kGzip, "gzip", ".tar.gz"},
    {Compression::kLz4, "lz4", ".tar.lz4"},
    {Compression::kZstd, "zstd", ".tar.zst"},
};
}  // namespace

Result<Compression> ParseCompression(std::string_view name) {
  for (const Mode& m : kModes)
    if (m.name == name) return m.c;
  return Status::InvalidArgument("compression '" + std::string(name) +
                                 "' is not one of none, gzip, lz4, zstd");
}

std::string_view CompressionName(Compression c) {
  for (const Mode& m : kModes)
    if (m.c == c) return m.name;
  return "none";
}

std::string_view ArchiveExtension(Compression c) {
  for (const Mode& m : kModes)
    if (m.c == c) return m.ext;
  return ".tar";
}

Result<Compression> CompressionFromFileName(std::string_view name) {
  // Longest extensions first, so ".tar.zst" is not taken for ".tar".
  for (int i = 3; i >= 0; --i) {
    const Mode& m = kModes[i];
    if (name.size() > m.ext.size() && name.ends_with(m.ext)) return m.c;
  }
  return Status::InvalidArgument(std::string(name) +
                                 " does not end in .tar, .tar.gz, .tar.lz4 or .tar.zst");
}

}  // namespace stasis::archive
