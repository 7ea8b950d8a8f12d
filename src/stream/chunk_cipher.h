// Client-side encryption of a streamed checkpoint: the storage holding the
// shards (a bucket, a shared disk) should learn nothing from them and be
// unable to alter them unnoticed. Every chunk is sealed alone with
// AES-256-GCM, so chunks stay independently readable; the manifest gets an
// HMAC so its list of chunks cannot be edited either. The master key never
// leaves this machine and never appears in a message: it is named by Id().
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace stasis::stream {

inline constexpr size_t kKeyBytes = 32;  // AES-256, HMAC-SHA256 keys, salts
using KeyBytes = std::array<unsigned char, kKeyBytes>;

// A 32-byte master key, from a file or an environment variable. Every copy
// wipes its bytes when destroyed.
class EncryptionKey {
 public:
  // The file holds the key as 32 raw bytes or 64 hex digits (whitespace
  // around the digits allowed). It must not be readable by group or others.
  // `what` names the file in messages.
  static Result<EncryptionKey> FromFile(const std::string& path,
                                        const std::string& what = "encryption key file");
  // 64 hex digits (whitespace around them allowed); `source` names where they
  // came from in messages, e.g. "STASIS_ENCRYPTION_KEY".
  static Result<EncryptionKey> FromHex(std::string_view hex, const std::string& source);

  EncryptionKey(const EncryptionKey&) = default;
  EncryptionKey& operator=(const EncryptionKey&) = default;
  ~EncryptionKey();

  // "k1-" + the first 16 hex digits of SHA-256("stasis key id v1" || key):
  // names the key in manifests and messages without revealing it.
  std::string Id() const;

 private:
  friend class ChunkCipher;
  friend class SigningKey;
  explicit EncryptionKey(const KeyBytes& bytes) : bytes_(bytes) {}
  KeyBytes bytes_;
};

// Seals and opens one checkpoint's chunks. AES-256-GCM under a data key
// derived (HKDF-SHA256) from the master key and the checkpoint's random
// 32-byte salt, so no two checkpoints share a data key; a fresh random
// 96-bit nonce per chunk, stored in front of it, and the 16-byte tag after
// it. The additional authenticated data names where the chunk belongs (e.g.
// its file name and index), so a chunk moved elsewhere fails to open.
// Thread-safe: every method is const and keeps its OpenSSL state per call.
class ChunkCipher {
 public:
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverhead = kNonceBytes + kTagBytes;

  // A new checkpoint: draws a random salt.
  static Result<ChunkCipher> ForNewCheckpoint(const EncryptionKey& key);
  // An existing checkpoint, with the salt its manifest records (64 hex
  // digits; Corruption if malformed).
  static Result<ChunkCipher> ForCheckpoint(const EncryptionKey& key, std::string_view salt_hex);

  ChunkCipher(const ChunkCipher&) = default;
  ChunkCipher& operator=(const ChunkCipher&) = default;
  ~ChunkCipher();

  std::string SaltHex() const;
  const std::string& KeyId() const { return key_id_; }

  // out = nonce || ciphertext || tag (replaced; capacity reused). `data`
  // must not point into `out`.
  Status Seal(std::string_view aad, const char* data, size_t size, std::string* out) const;
  // The reverse. Corruption when the input is shorter than kOverhead or its
  // tag does not match (then `out` is left empty); `what` names the chunk
  // in the message.
  Status Open(std::string_view aad, const std::string& sealed, std::string* out,
              const std::string& what) const;

  // HMAC-SHA256 (lowercase hex) of the manifest's canonical JSON, under a
  // second derived key.
  std::string Mac(std::string_view message) const;
  // Constant-time check of a Mac() result.
  bool VerifyMac(std::string_view message, std::string_view mac_hex) const;

 private:
  ChunkCipher(const EncryptionKey& key, const KeyBytes& salt);
  Status DeriveKeys(const EncryptionKey& key);

  KeyBytes salt_;
  KeyBytes chunk_key_{};
  KeyBytes mac_key_{};
  std::string key_id_;
};

namespace internal {

// Lowercase hex of `size` bytes; shared with the signing key.
std::string ToHex(const unsigned char* bytes, size_t size);
// HMAC-SHA256 of `message`; false only if OpenSSL fails.
bool HmacSha256(const unsigned char* key, size_t key_size, std::string_view message,
                std::array<unsigned char, 32>* mac);

// AES-256-GCM with a caller-chosen nonce, for known-answer tests only (a
// repeated nonce breaks GCM; real chunks go through ChunkCipher::Seal).
// out = nonce || ciphertext || tag. `key` is 32 bytes, `nonce` 12.
Status GcmSealWithNonce(std::string_view key, std::string_view nonce, std::string_view aad,
                        const char* data, size_t size, std::string* out);

}  // namespace internal

}  // namespace stasis::stream
