// Compression modes of checkpoint archives and their file-name extensions.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace stasis::archive {

enum class Compression { kNone, kGzip, kLz4, kZstd };

// "none"|"gzip"|"lz4"|"zstd"; anything else is InvalidArgument naming the choices.
Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);
// ".tar", ".tar.gz", ".tar.lz4", ".tar.zst"
std::string_view ArchiveExtension(Compression c);
// Infers the mode from a checkpoint file name; NotFound-style InvalidArgument
// if the name has none of the extensions above.
Result<Compression> CompressionFromFileName(std::string_view name);

}  // namespace stasis::archive
