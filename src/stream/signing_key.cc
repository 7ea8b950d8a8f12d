#include "stream/signing_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/unique_fd.h"

namespace stasis::stream {

namespace {

constexpr std::string_view kIdLabel = "stasis signing key id v1";
constexpr std::string_view kMacLabel = "stasis manifest mac v1";
constexpr char kWhat[] = "signing key file";

using internal::HmacSha256;
using internal::ToHex;

// Writes a fresh random key to `path`; AlreadyExists when another process
// made one first (the caller then reads that one).
Status CreateKeyFile(const std::string& path) {
  KeyBytes bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return Status::Internal("cannot draw a random signing key");
  std::string text = ToHex(bytes.data(), bytes.size()) + "\n";
  OPENSSL_cleanse(bytes.data(), bytes.size());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    int err = errno;
    OPENSSL_cleanse(text.data(), text.size());
    if (err == EEXIST) return Status::AlreadyExists(path);
    return ErrnoStatus(std::string("cannot create the ") + kWhat + " " + path, err);
  }
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size()) || ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return ErrnoStatus(std::string("cannot write the ") + kWhat + " " + path, err);
  }
  return Status::OK();
}

}  // namespace

SigningKey::SigningKey(const EncryptionKey& key) : key_(key.bytes_) {
  std::array<unsigned char, 32> derived;
  if (HmacSha256(key_.data(), key_.size(), kMacLabel, &derived))
    std::copy(derived.begin(), derived.end(), mac_key_.begin());
  OPENSSL_cleanse(derived.data(), derived.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, kIdLabel.data(), kIdLabel.size()) == 1 &&
      EVP_DigestUpdate(ctx, key_.data(), key_.size()) == 1 &&
      EVP_DigestFinal_ex(ctx, digest, &size) == 1) {
    id_ = "s1-" + ToHex(digest, 8);
  } else {
    ERR_clear_error();
    id_ = "s1-unknown";
  }
  EVP_MD_CTX_free(ctx);
}

SigningKey::~SigningKey() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(mac_key_.data(), mac_key_.size());
}

Result<SigningKey> SigningKey::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(EncryptionKey key, EncryptionKey::FromFile(path, kWhat));
  return SigningKey(key);
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    Status created = CreateKeyFile(path);
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) return created;
  }
  return FromFile(path);
}

std::string SigningKey::KeyId() const {
  return id_;
}

std::string SigningKey::Mac(std::string_view text) const {
  std::array<unsigned char, 32> mac;
  if (!HmacSha256(mac_key_.data(), mac_key_.size(), text, &mac)) return "";
  return ToHex(mac.data(), mac.size());
}

bool SigningKey::Verify(std::string_view text, std::string_view mac_hex) const {
  std::string expected = Mac(text);
  if (expected.empty() || mac_hex.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), mac_hex.data(), expected.size()) == 0;
}

std::string SigningKey::SecretHex() const {
  return ToHex(key_.data(), key_.size());
}

}  // namespace stasis::stream
