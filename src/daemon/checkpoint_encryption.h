// Client-side encryption as the daemon applies it: which key is configured
// (checkpoint.encryption_key_file or checkpoint.encryption_key), and what
// an encrypted checkpoint needs before a restore may start (the right key,
// an intact manifest). The key is read at each use, so a replaced key file
// takes effect without a restart; it never reaches a log or a message.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "stream/chunk_cipher.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {

// nullopt when no key is configured.
Result<std::optional<stream::EncryptionKey>> ConfiguredEncryptionKey(const config::Config& config);

// nullopt for a checkpoint that is not encrypted. Otherwise the cipher that
// opens it, once the configured key is the one it was sealed with and its
// manifest matches its MAC; each failure is one sentence saying what to do.
// Messages say "it" for the checkpoint: the caller names it.
Result<std::optional<stream::ChunkCipher>> CipherToRestore(const config::Config& config,
                                                           const stream::StreamManifest& manifest);

}  // namespace stasis::daemon
