// Writing and reading plain checkpoint archives: a (compressed) tar of
//   stasis-header.json, the CRIU image files, stasis.json
// streamed through a storage Writer/Reader with no temporary copy.
#pragma once

#include <filesystem>

#include "archive/compression.h"
#include "archive/manifest.h"
#include "common/result.h"
#include "storage/storage.h"

namespace stasis::archive {

// Archives every regular file of `images_dir` (flat, no subdirectories)
// into `out`, hashing each member as it goes, then appends the complete
// manifest. With a signer, the header and the manifest each carry a MAC
// (the header's lets a listing trust what it shows without reading the
// whole archive; the manifest's covers every member's checksum). Returns the manifest as written
// (files and total_bytes filled). Does not Commit() or Abort() `out`; the caller owns that
// decision.
Result<Manifest> WriteCheckpointArchive(const std::filesystem::path& images_dir,
                                        const Manifest& header, Compression compression,
                                        storage::Writer& out,
                                        const ManifestSigner* signer = nullptr);

// Extracts a checkpoint into `dest_dir` (which must exist and be empty),
// refusing unsafe member names (absolute, "..", links, devices, anything
// but regular files), members missing from or extra to the manifest, size
// or checksum mismatches, truncation, and archives that are not stasis
// checkpoints. Returns the verified manifest. On error `dest_dir` may hold
// partial files; the caller removes them.
Result<Manifest> ExtractCheckpointArchive(storage::Reader& in,
                                          const std::filesystem::path& dest_dir);

// Reads only the first member (stasis-header.json). Cheap: for listings.
Result<Manifest> ReadCheckpointHeader(storage::Reader& in);

}  // namespace stasis::archive
