// The daemon's signing key: every checkpoint it writes carries a MAC over
// its manifest under this key, and restore can insist on it
// (checkpoint.trust), because CRIU restores whatever its images say, as
// root. Hosts that restore each other's checkpoints share the key file.
// HMAC-SHA256 under a key derived from it, so the key file itself is never
// used directly; the manifest names the key by Id(), never by value.
#pragma once

#include <string>
#include <string_view>

#include "archive/manifest.h"
#include "common/result.h"
#include "stream/chunk_cipher.h"

namespace stasis::stream {

class SigningKey final : public archive::ManifestSigner {
 public:
  // The key in `path` (32 raw bytes or 64 hex digits, not readable by group
  // or others).
  static Result<SigningKey> FromFile(const std::string& path);
  // The same, but a missing file is first created with a new random key
  // (0600, created exclusively so two daemons never write different keys).
  static Result<SigningKey> LoadOrCreate(const std::string& path);
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey() override;

  // "s1-" + 16 hex digits of a hash of the key.
  std::string KeyId() const override;
  std::string Mac(std::string_view text) const override;
  // Constant-time check of a Mac() result.
  bool Verify(std::string_view text, std::string_view mac_hex) const;
  // The key as hex, for the redactor's list of secret values only.
  std::string SecretHex() const;

 private:
  explicit SigningKey(const EncryptionKey& key);
  KeyBytes key_{};
  KeyBytes mac_key_{};
  std::string id_;
};

}  // namespace stasis::stream
