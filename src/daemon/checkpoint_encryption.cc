#include "daemon/checkpoint_encryption.h"

namespace stasis::daemon {

Result<std::optional<stream::EncryptionKey>> ConfiguredEncryptionKey(const config::Config& config) {
  const bool from_file = !config.checkpoint_encryption_key_file.empty();
  const bool inline_key = !config.checkpoint_encryption_key.empty();
  if (from_file && inline_key)
    return Status::InvalidArgument(
        "both checkpoint.encryption_key_file and checkpoint.encryption_key are set; keep one");
  if (from_file) {
    ASSIGN_OR_RETURN(auto key,
                     stream::EncryptionKey::FromFile(config.checkpoint_encryption_key_file));
    return std::optional<stream::EncryptionKey>(std::move(key));
  }
  if (inline_key) {
    ASSIGN_OR_RETURN(auto key, stream::EncryptionKey::FromHex(
                                   config.checkpoint_encryption_key,
                                   "checkpoint.encryption_key (STASIS_CHECKPOINT_ENCRYPTION_KEY)"));
    return std::optional<stream::EncryptionKey>(std::move(key));
  }
  return std::optional<stream::EncryptionKey>();
}

Result<std::optional<stream::ChunkCipher>> CipherToRestore(const config::Config& config,
                                                           const stream::StreamManifest& m) {
  const stream::StreamEncryption& e = m.encryption;
  if (e.cipher.empty()) return std::optional<stream::ChunkCipher>();
  if (e.cipher != stream::kStreamCipher)
    return Status::Unimplemented("it is encrypted with " + e.cipher +
                                 ", which this stasis cannot open; upgrade stasis");
  ASSIGN_OR_RETURN(auto key, ConfiguredEncryptionKey(config));
  if (!key.has_value())
    return Status::FailedPrecondition("it is encrypted (key " + e.key_id +
                                      "); configure that key in checkpoint.encryption_key_file or "
                                      "STASIS_CHECKPOINT_ENCRYPTION_KEY to restore it");
  if (key->Id() != e.key_id)
    return Status::PermissionDenied("it is encrypted with key " + e.key_id +
                                    ", but the configured key is " + key->Id() +
                                    "; configure the key it was made with");
  ASSIGN_OR_RETURN(auto cipher, stream::ChunkCipher::ForCheckpoint(*key, e.salt));
  // The chunks authenticate themselves; the MAC covers the list of them.
  if (!cipher.VerifyMac(m.seal.signed_text, m.seal.mac))
    return Status::Corruption("its manifest does not match its MAC: it was altered or damaged");
  return std::optional<stream::ChunkCipher>(std::move(cipher));
}

}  // namespace stasis::daemon
