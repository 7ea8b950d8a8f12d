#include "stream/chunk_cipher.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/unique_fd.h"

namespace stasis::stream {

namespace {

// HKDF info strings: one derived key per purpose, so the chunk key and the
// manifest's MAC key are unrelated even though both come from one master key.
constexpr std::string_view kChunkKeyInfo = "stasis chunk key v1";
constexpr std::string_view kManifestMacInfo = "stasis manifest mac v1";
constexpr std::string_view kKeyIdPrefix = "stasis key id v1";
constexpr size_t kKeyIdHexDigits = 16;
constexpr size_t kMacBytes = 32;  // HMAC-SHA256
// A key file is 32 bytes, or 64 hex digits and some whitespace; anything
// much longer is not a key file.
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr std::string_view kWhitespace = " \t\r\n\v\f";

std::string KeyFormatMessage(std::string_view source) {
  return std::string(source) + " must hold a 256-bit key: 32 bytes, or 64 hex digits";
}

// Internal, with OpenSSL's reason; the error queue is emptied so that it
// cannot be blamed on someone else's later call.
Status OpenSslError(std::string_view what) {
  char reason[256] = "unknown error";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  return Status::Internal(std::string(what) + " failed: " + reason);
}

using internal::ToHex;

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly 2 * size hex digits (either case) into `out`.
bool DecodeHex(std::string_view hex, unsigned char* out, size_t size) {
  if (hex.size() != 2 * size) return false;
  for (size_t i = 0; i < size; ++i) {
    int high = HexDigitValue(hex[2 * i]);
    int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return true;
}

bool IsAllHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return HexDigitValue(c) >= 0; });
}

std::string_view TrimWhitespace(std::string_view text) {
  size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

// A stack buffer that is wiped when it goes out of scope: the key file's
// contents never reach the heap, so no copy of them is left behind.
struct KeyFileContents {
  std::array<char, kMaxKeyFileBytes + 1> bytes;
  size_t size = 0;
  ~KeyFileContents() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  std::string_view view() const { return {bytes.data(), size}; }
};

// Reads the whole file; InvalidArgument when it is too long to be a key.
Status ReadKeyFile(int fd, const std::string& what, KeyFileContents* contents) {
  for (;;) {
    size_t room = contents->bytes.size() - contents->size;
    if (room == 0) return Status::InvalidArgument(KeyFormatMessage(what));
    ssize_t n = ::read(fd, contents->bytes.data() + contents->size, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(what, errno);
    if (n == 0) return Status::OK();
    contents->size += static_cast<size_t>(n);
  }
}

// 32 raw bytes, or 64 hex digits with whitespace around them. 32 bytes that
// are all hex digits are a 128-bit key written in hex, not a raw key.
bool ParseKeyFile(std::string_view contents, KeyBytes* key) {
  if (contents.size() == kKeyBytes && !IsAllHex(contents)) {
    std::memcpy(key->data(), contents.data(), kKeyBytes);
    return true;
  }
  return DecodeHex(TrimWhitespace(contents), key->data(), key->size());
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// HKDF-SHA256(ikm = master key, salt = checkpoint salt, info) -> 32 bytes.
Status DeriveKey(const KeyBytes& master, const KeyBytes& salt, std::string_view info,
                 KeyBytes* out) {
  EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (hkdf == nullptr) return OpenSslError("fetching HKDF");
  KdfCtx ctx(EVP_KDF_CTX_new(hkdf));
  EVP_KDF_free(hkdf);
  if (!ctx) return OpenSslError("creating an HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<unsigned char*>(master.data()), master.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                        const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(ctx.get(), out->data(), out->size(), params) != 1)
    return OpenSslError("HKDF key derivation");
  return Status::OK();
}

// Runs `size` bytes through the cipher (out == nullptr: as AAD), in pieces
// an int can count.
Status CipherUpdate(EVP_CIPHER_CTX* ctx, const unsigned char* in, size_t size, unsigned char* out) {
  constexpr size_t kMaxPiece = size_t{1} << 30;
  while (size > 0) {
    int piece = static_cast<int>(std::min(size, kMaxPiece));
    int written = 0;
    if (EVP_CipherUpdate(ctx, out, &written, in, piece) != 1) return OpenSslError("AES-256-GCM");
    in += piece;
    size -= static_cast<size_t>(piece);
    if (out != nullptr) out += written;
  }
  return Status::OK();
}

// A context set up for AES-256-GCM in one direction, with key, nonce and AAD.
Result<CipherCtx> StartGcm(bool encrypt, const unsigned char* key, const unsigned char* nonce,
                           std::string_view aad) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError("creating a cipher context");
  // GCM's default nonce length is the 96 bits we use.
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce, encrypt ? 1 : 0) != 1)
    return OpenSslError("starting AES-256-GCM");
  RETURN_IF_ERROR(CipherUpdate(ctx.get(), reinterpret_cast<const unsigned char*>(aad.data()),
                               aad.size(), nullptr));
  return ctx;
}

// out = nonce || ciphertext || tag.
Status GcmSeal(const unsigned char* key, const unsigned char* nonce, std::string_view aad,
               const char* data, size_t size, std::string* out) {
  ASSIGN_OR_RETURN(CipherCtx ctx, StartGcm(true, key, nonce, aad));
  out->resize(ChunkCipher::kOverhead + size);
  auto* sealed = reinterpret_cast<unsigned char*>(out->data());
  std::memcpy(sealed, nonce, ChunkCipher::kNonceBytes);
  unsigned char* ciphertext = sealed + ChunkCipher::kNonceBytes;
  RETURN_IF_ERROR(
      CipherUpdate(ctx.get(), reinterpret_cast<const unsigned char*>(data), size, ciphertext));
  int final_bytes = 0;
  if (EVP_CipherFinal_ex(ctx.get(), ciphertext + size, &final_bytes) != 1)
    return OpenSslError("AES-256-GCM");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, ChunkCipher::kTagBytes,
                          ciphertext + size) != 1)
    return OpenSslError("reading the AES-256-GCM tag");
  return Status::OK();
}

// The reverse of GcmSeal; false when the tag does not match.
Result<bool> GcmOpen(const unsigned char* key, std::string_view aad, const std::string& sealed,
                     std::string* out) {
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const unsigned char* ciphertext = nonce + ChunkCipher::kNonceBytes;
  size_t size = sealed.size() - ChunkCipher::kOverhead;
  const unsigned char* tag = ciphertext + size;
  ASSIGN_OR_RETURN(CipherCtx ctx, StartGcm(false, key, nonce, aad));
  out->resize(size);
  RETURN_IF_ERROR(
      CipherUpdate(ctx.get(), ciphertext, size, reinterpret_cast<unsigned char*>(out->data())));
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, ChunkCipher::kTagBytes,
                          const_cast<unsigned char*>(tag)) != 1)
    return OpenSslError("setting the AES-256-GCM tag");
  int final_bytes = 0;
  if (EVP_CipherFinal_ex(ctx.get(), nullptr, &final_bytes) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

bool HmacSha256(const KeyBytes& key, std::string_view message,
                std::array<unsigned char, kMacBytes>* mac) {
  return internal::HmacSha256(key.data(), key.size(), message, mac);
}

}  // namespace

// --- EncryptionKey ---

Result<EncryptionKey> EncryptionKey::FromFile(const std::string& path,
                                              const std::string& what_kind) {
  const std::string what = what_kind + " " + path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(what, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(what, errno);
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(what + " is a directory, not a file");
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
    return Status::PermissionDenied(what + " is readable by other users; chmod 600 it");
  KeyFileContents contents;
  RETURN_IF_ERROR(ReadKeyFile(fd.get(), what, &contents));
  KeyBytes bytes;
  if (!ParseKeyFile(contents.view(), &bytes)) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return Status::InvalidArgument(KeyFormatMessage(what));
  }
  EncryptionKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Result<EncryptionKey> EncryptionKey::FromHex(std::string_view hex, const std::string& source) {
  KeyBytes bytes;
  if (!DecodeHex(TrimWhitespace(hex), bytes.data(), bytes.size())) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return Status::InvalidArgument(source + " must hold a 256-bit key: 64 hex digits");
  }
  EncryptionKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

EncryptionKey::~EncryptionKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string EncryptionKey::Id() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kKeyIdPrefix.data(), kKeyIdPrefix.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes_.data(), bytes_.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &digest_size) != 1) {
    ERR_clear_error();
    return "k1-unknown";  // only if OpenSSL itself is broken
  }
  return "k1-" + ToHex(digest, digest_size).substr(0, kKeyIdHexDigits);
}

// --- ChunkCipher ---

ChunkCipher::ChunkCipher(const EncryptionKey& key, const KeyBytes& salt)
    : salt_(salt), key_id_(key.Id()) {}

ChunkCipher::~ChunkCipher() {
  OPENSSL_cleanse(chunk_key_.data(), chunk_key_.size());
  OPENSSL_cleanse(mac_key_.data(), mac_key_.size());
}

Status ChunkCipher::DeriveKeys(const EncryptionKey& key) {
  RETURN_IF_ERROR(DeriveKey(key.bytes_, salt_, kChunkKeyInfo, &chunk_key_));
  return DeriveKey(key.bytes_, salt_, kManifestMacInfo, &mac_key_);
}

Result<ChunkCipher> ChunkCipher::ForNewCheckpoint(const EncryptionKey& key) {
  KeyBytes salt;
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    return OpenSslError("drawing a random checkpoint salt");
  ChunkCipher cipher(key, salt);
  RETURN_IF_ERROR(cipher.DeriveKeys(key));
  return cipher;
}

Result<ChunkCipher> ChunkCipher::ForCheckpoint(const EncryptionKey& key,
                                               std::string_view salt_hex) {
  KeyBytes salt;
  if (!DecodeHex(salt_hex, salt.data(), salt.size()))
    return Status::Corruption("the checkpoint's encryption salt is not 64 hex digits");
  ChunkCipher cipher(key, salt);
  RETURN_IF_ERROR(cipher.DeriveKeys(key));
  return cipher;
}

std::string ChunkCipher::SaltHex() const {
  return ToHex(salt_.data(), salt_.size());
}

Status ChunkCipher::Seal(std::string_view aad, const char* data, size_t size,
                         std::string* out) const {
  std::array<unsigned char, kNonceBytes> nonce;
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1)
    return OpenSslError("drawing a random nonce");
  return GcmSeal(chunk_key_.data(), nonce.data(), aad, data, size, out);
}

Status ChunkCipher::Open(std::string_view aad, const std::string& sealed, std::string* out,
                         const std::string& what) const {
  bool authentic = false;
  if (sealed.size() >= kOverhead) {
    ASSIGN_OR_RETURN(authentic, GcmOpen(chunk_key_.data(), aad, sealed, out));
  }
  if (!authentic) {
    out->clear();
    return Status::Corruption(
        what + " failed authentication: it was altered or damaged, or sealed with another key");
  }
  return Status::OK();
}

std::string ChunkCipher::Mac(std::string_view message) const {
  std::array<unsigned char, kMacBytes> mac;
  if (!HmacSha256(mac_key_, message, &mac)) return "";
  return ToHex(mac.data(), mac.size());
}

bool ChunkCipher::VerifyMac(std::string_view message, std::string_view mac_hex) const {
  std::array<unsigned char, kMacBytes> expected;
  std::array<unsigned char, kMacBytes> given;
  if (!HmacSha256(mac_key_, message, &expected)) return false;
  if (!DecodeHex(mac_hex, given.data(), given.size())) return false;
  return CRYPTO_memcmp(expected.data(), given.data(), kMacBytes) == 0;
}

// --- internal ---

namespace internal {

std::string ToHex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

bool HmacSha256(const unsigned char* key, size_t key_size, std::string_view message,
                std::array<unsigned char, 32>* mac) {
  size_t mac_size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key, key_size,
                reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac->data(),
                mac->size(), &mac_size) == nullptr ||
      mac_size != mac->size()) {
    ERR_clear_error();
    return false;
  }
  return true;
}

Status GcmSealWithNonce(std::string_view key, std::string_view nonce, std::string_view aad,
                        const char* data, size_t size, std::string* out) {
  if (key.size() != kKeyBytes || nonce.size() != ChunkCipher::kNonceBytes)
    return Status::InvalidArgument("AES-256-GCM takes a 32-byte key and a 12-byte nonce");
  return GcmSeal(reinterpret_cast<const unsigned char*>(key.data()),
                 reinterpret_cast<const unsigned char*>(nonce.data()), aad, data, size, out);
}

}  // namespace internal

}  // namespace stasis::stream
