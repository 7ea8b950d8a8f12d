// Chunk encryption against real OpenSSL: chunks round-trip, and any change
// to a sealed chunk, its place (AAD), its checkpoint (salt) or its key is
// caught; the manifest MAC and key ids; key files and their errors, which
// must never echo the key; and AES-256-GCM itself against the GCM spec's
// 256-bit test vectors.
#include "stream/chunk_cipher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

namespace stasis::stream {
namespace {

namespace fs = std::filesystem;

constexpr char kKeyHex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kOtherKeyHex[] = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kSaltHex[] = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

EncryptionKey KeyFromHex(const char* hex) {
  auto key = EncryptionKey::FromHex(hex, "test key");
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

ChunkCipher NewCipher(const EncryptionKey& key) {
  auto cipher = ChunkCipher::ForNewCheckpoint(key);
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  return *cipher;
}

std::string SealOrDie(const ChunkCipher& cipher, std::string_view aad, const std::string& data) {
  std::string sealed;
  Status st = cipher.Seal(aad, data.data(), data.size(), &sealed);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return sealed;
}

// Open must fail with Corruption, say which chunk, and leave nothing behind.
void ExpectRejected(const ChunkCipher& cipher, std::string_view aad, const std::string& sealed) {
  std::string out = "stale";
  Status st = cipher.Open(aad, sealed, &out, "chunk 3 of pages-1.img");
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("chunk 3 of pages-1.img failed authentication"), std::string::npos)
      << st.message();
  EXPECT_TRUE(out.empty());
}

TEST(ChunkCipherTest, RoundTripsRandomChunksOfZeroOneAndFourMiB) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  for (size_t size : {size_t{0}, size_t{1}, size_t{4} << 20}) {
    const std::string data = RandomBytes(size, size + 1);
    const std::string sealed = SealOrDie(cipher, "pages-1.img#0", data);
    ASSERT_EQ(sealed.size(), size + ChunkCipher::kOverhead);
    if (size > 64) {
      EXPECT_EQ(sealed.find(data.substr(0, 64)), std::string::npos);
    }
    std::string opened;
    Status st = cipher.Open("pages-1.img#0", sealed, &opened, "chunk");
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(opened, data) << "size " << size;
  }
}

TEST(ChunkCipherTest, SealReusesTheOutputBuffer) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  std::string out(1000, 'x');
  const std::string data = RandomBytes(10, 1);
  ASSERT_TRUE(cipher.Seal("a", data.data(), data.size(), &out).ok());
  EXPECT_EQ(out.size(), data.size() + ChunkCipher::kOverhead);
  std::string opened(5000, 'y');
  ASSERT_TRUE(cipher.Open("a", out, &opened, "chunk").ok());
  EXPECT_EQ(opened, data);
}

TEST(ChunkCipherTest, AFlippedBitAnywhereFailsToOpen) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  const std::string sealed = SealOrDie(cipher, "pages-1.img#3", RandomBytes(40, 2));
  // Every bit: the nonce, the ciphertext and the tag.
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::string damaged = sealed;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    SCOPED_TRACE("bit " + std::to_string(bit));
    ExpectRejected(cipher, "pages-1.img#3", damaged);
  }
}

TEST(ChunkCipherTest, TruncatedOrExtendedInputFailsToOpen) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  const std::string sealed = SealOrDie(cipher, "a", RandomBytes(40, 3));
  for (size_t size = 0; size < sealed.size(); ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ExpectRejected(cipher, "a", sealed.substr(0, size));
  }
  ExpectRejected(cipher, "a", sealed + "x");
  // The nonce and tag of an empty chunk alone are not a chunk either.
  ExpectRejected(cipher, "a", std::string(ChunkCipher::kOverhead, '\0'));
}

TEST(ChunkCipherTest, AnotherAadFailsToOpen) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  const std::string sealed = SealOrDie(cipher, "pages-1.img#3", RandomBytes(100, 4));
  ExpectRejected(cipher, "pages-1.img#4", sealed);
  ExpectRejected(cipher, "pages-2.img#3", sealed);
  ExpectRejected(cipher, "", sealed);
  const std::string empty_aad = SealOrDie(cipher, "", RandomBytes(100, 4));
  ExpectRejected(cipher, "pages-1.img#3", empty_aad);
}

TEST(ChunkCipherTest, AnotherCheckpointOrKeyFailsToOpen) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  const ChunkCipher cipher = NewCipher(key);
  const std::string sealed = SealOrDie(cipher, "a", RandomBytes(100, 5));

  const ChunkCipher other_checkpoint = NewCipher(key);
  EXPECT_NE(other_checkpoint.SaltHex(), cipher.SaltHex());
  ExpectRejected(other_checkpoint, "a", sealed);

  auto other_key = ChunkCipher::ForCheckpoint(KeyFromHex(kOtherKeyHex), cipher.SaltHex());
  ASSERT_TRUE(other_key.ok()) << other_key.status().ToString();
  EXPECT_NE(other_key->KeyId(), cipher.KeyId());
  ExpectRejected(*other_key, "a", sealed);
}

TEST(ChunkCipherTest, SealingTwiceGivesDifferentOutputs) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  const std::string data = RandomBytes(100, 6);
  const std::string first = SealOrDie(cipher, "a", data);
  const std::string second = SealOrDie(cipher, "a", data);
  EXPECT_NE(first.substr(0, ChunkCipher::kNonceBytes), second.substr(0, ChunkCipher::kNonceBytes));
  EXPECT_NE(first, second);
}

TEST(ChunkCipherTest, ForCheckpointWithTheRecordedSaltOpensTheChunks) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  const ChunkCipher writer = NewCipher(key);
  const std::string data = RandomBytes(1000, 7);
  const std::string sealed = SealOrDie(writer, "core-1.img#0", data);
  const std::string salt_hex = writer.SaltHex();
  EXPECT_EQ(salt_hex.size(), 64u);

  auto reader = ChunkCipher::ForCheckpoint(key, salt_hex);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->SaltHex(), salt_hex);
  EXPECT_EQ(reader->KeyId(), writer.KeyId());
  EXPECT_EQ(reader->KeyId(), key.Id());
  std::string opened;
  ASSERT_TRUE(reader->Open("core-1.img#0", sealed, &opened, "chunk").ok());
  EXPECT_EQ(opened, data);
  EXPECT_EQ(reader->Mac("manifest"), writer.Mac("manifest"));
}

TEST(ChunkCipherTest, AMalformedSaltIsCorruption) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  const std::string salt(kSaltHex);
  for (const std::string& bad :
       {std::string(), salt.substr(1), salt + "0", "zz" + salt.substr(2), " " + salt.substr(1)}) {
    auto cipher = ChunkCipher::ForCheckpoint(key, bad);
    ASSERT_FALSE(cipher.ok()) << bad;
    EXPECT_EQ(cipher.status().code(), StatusCode::kCorruption);
  }
}

TEST(ChunkCipherTest, MacAcceptsTheMessageAndRejectsAChangedOne) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  const ChunkCipher cipher = NewCipher(key);
  const std::string manifest = R"({"files":[{"name":"pages-1.img","chunks":3}]})";
  const std::string mac = cipher.Mac(manifest);
  ASSERT_EQ(mac.size(), 64u);
  EXPECT_TRUE(cipher.VerifyMac(manifest, mac));

  EXPECT_FALSE(cipher.VerifyMac(R"({"files":[{"name":"pages-1.img","chunks":2}]})", mac));
  EXPECT_FALSE(cipher.VerifyMac(manifest + " ", mac));
  EXPECT_FALSE(cipher.VerifyMac(manifest, mac.substr(0, 63)));
  EXPECT_FALSE(cipher.VerifyMac(manifest, ""));
  std::string changed_mac = mac;
  changed_mac[10] = changed_mac[10] == '0' ? '1' : '0';
  EXPECT_FALSE(cipher.VerifyMac(manifest, changed_mac));
  // Another checkpoint of the same key has its own MAC key.
  EXPECT_FALSE(NewCipher(key).VerifyMac(manifest, mac));
  // Nor does another key's.
  EXPECT_FALSE(NewCipher(KeyFromHex(kOtherKeyHex)).VerifyMac(manifest, mac));
}

// Pins the derivation (HKDF-SHA256 with the "stasis manifest mac v1" info,
// then HMAC-SHA256) and the key id to values computed independently (Python
// hashlib/hmac), so checkpoints written today stay readable tomorrow.
TEST(ChunkCipherTest, ManifestMacAndKeyIdMatchAnIndependentComputation) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  auto cipher = ChunkCipher::ForCheckpoint(key, kSaltHex);
  ASSERT_TRUE(cipher.ok()) << cipher.status().ToString();
  EXPECT_EQ(cipher->Mac(R"({"files":[]})"),
            "7f60bd2ca9e2701413bdcc89e967b006f46ab132aa3b1ddf39aa5e6010d695b6");
  EXPECT_EQ(key.Id(), "k1-19dab253176dddcd");
}

TEST(ChunkCipherTest, KeyIdIsStableAndRevealsNothing) {
  const EncryptionKey key = KeyFromHex(kKeyHex);
  const std::string id = key.Id();
  EXPECT_EQ(id.size(), 3u + 16u);
  EXPECT_EQ(id.rfind("k1-", 0), 0u);
  EXPECT_EQ(KeyFromHex(kKeyHex).Id(), id);
  EXPECT_EQ(EncryptionKey(key).Id(), id);
  EXPECT_NE(KeyFromHex(kOtherKeyHex).Id(), id);
  EXPECT_EQ(std::string(kKeyHex).find(id.substr(3)), std::string::npos);
  EXPECT_EQ(id.find(std::string(kKeyHex).substr(0, 8)), std::string::npos);
}

TEST(ChunkCipherTest, SealsAndOpensFromManyThreadsAtOnce) {
  const ChunkCipher cipher = NewCipher(KeyFromHex(kKeyHex));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cipher, &failures, t] {
      std::string sealed, opened;
      for (int i = 0; i < 50; ++i) {
        const std::string aad = std::to_string(t) + "#" + std::to_string(i);
        const std::string data = RandomBytes(4096 + i, t * 100 + i);
        if (!cipher.Seal(aad, data.data(), data.size(), &sealed).ok() ||
            !cipher.Open(aad, sealed, &opened, "chunk").ok() || opened != data)
          ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(ChunkCipherKeyTest, FromHexAcceptsSurroundingWhitespaceOnly) {
  auto plain = EncryptionKey::FromHex(kKeyHex, "STASIS_ENCRYPTION_KEY");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto spaced =
      EncryptionKey::FromHex(std::string(" \t") + kKeyHex + "\n", "STASIS_ENCRYPTION_KEY");
  ASSERT_TRUE(spaced.ok()) << spaced.status().ToString();
  EXPECT_EQ(spaced->Id(), plain->Id());
  std::string upper(kKeyHex);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto upper_key = EncryptionKey::FromHex(upper, "STASIS_ENCRYPTION_KEY");
  ASSERT_TRUE(upper_key.ok());
  EXPECT_EQ(upper_key->Id(), plain->Id());

  const std::string hex(kKeyHex);
  for (const std::string& bad : {std::string(), hex.substr(2), hex + "00", "g" + hex.substr(1),
                                 hex.substr(0, 32) + " " + hex.substr(32)}) {
    auto key = EncryptionKey::FromHex(bad, "STASIS_ENCRYPTION_KEY");
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(key.status().message(),
              "STASIS_ENCRYPTION_KEY must hold a 256-bit key: 64 hex digits");
  }
}

class ChunkCipherKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-key-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteKeyFile(const std::string& contents, mode_t mode = 0600) {
    std::string path = dir_ + "/key";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
    EXPECT_EQ(::fchmod(fd, mode), 0);
    ::close(fd);
    return path;
  }

  // The error has `code`, names the file, and gives nothing of the key away.
  void ExpectRefused(const std::string& path, StatusCode code, const std::string& says) {
    auto key = EncryptionKey::FromFile(path);
    ASSERT_FALSE(key.ok());
    const std::string message = key.status().message();
    EXPECT_EQ(key.status().code(), code) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(says), std::string::npos) << message;
    EXPECT_EQ(message.find(std::string(kKeyHex).substr(0, 16)), std::string::npos) << message;
    EXPECT_EQ(message.find(Unhex(kKeyHex).substr(1, 8)), std::string::npos) << message;
  }

  std::string dir_;
};

TEST_F(ChunkCipherKeyFileTest, RawBytesAndHexWithANewlineGiveTheSameKey) {
  const std::string expected_id = KeyFromHex(kKeyHex).Id();
  auto raw = EncryptionKey::FromFile(WriteKeyFile(Unhex(kKeyHex)));
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->Id(), expected_id);
  auto hex = EncryptionKey::FromFile(WriteKeyFile(std::string(kKeyHex) + "\n"));
  ASSERT_TRUE(hex.ok()) << hex.status().ToString();
  EXPECT_EQ(hex->Id(), expected_id);
  auto spaced = EncryptionKey::FromFile(WriteKeyFile("  " + std::string(kKeyHex) + " \r\n\n"));
  ASSERT_TRUE(spaced.ok()) << spaced.status().ToString();
  EXPECT_EQ(spaced->Id(), expected_id);
  // Owner-only permissions other than 0600 are fine too.
  auto read_only = EncryptionKey::FromFile(WriteKeyFile(kKeyHex, 0400));
  ASSERT_TRUE(read_only.ok()) << read_only.status().ToString();
}

TEST_F(ChunkCipherKeyFileTest, AWrongLengthOrFormatIsRefused) {
  const std::string hex(kKeyHex);
  const std::string says = "must hold a 256-bit key: 32 bytes, or 64 hex digits";
  for (const std::string& bad : {std::string(), hex.substr(0, 62) + "\n", hex + "00",
                                 hex.substr(0, 32), Unhex(kKeyHex) + "\n", Unhex(kKeyHex).substr(1),
                                 "x" + hex.substr(1), std::string(10000, 'a')}) {
    SCOPED_TRACE("contents of " + std::to_string(bad.size()) + " bytes");
    ExpectRefused(WriteKeyFile(bad), StatusCode::kInvalidArgument, says);
  }
}

TEST_F(ChunkCipherKeyFileTest, AFileOthersCanReadIsRefused) {
  for (mode_t mode : {0644, 0640, 0604}) {
    SCOPED_TRACE(mode);
    ExpectRefused(WriteKeyFile(kKeyHex, mode), StatusCode::kPermissionDenied,
                  "is readable by other users; chmod 600 it");
  }
}

TEST_F(ChunkCipherKeyFileTest, AMissingFileOrADirectoryIsRefused) {
  ExpectRefused(dir_ + "/no-such-key", StatusCode::kNotFound, "encryption key file");
  ExpectRefused(dir_, StatusCode::kInvalidArgument, "is a directory");
}

// The GCM spec's (McGrew & Viega) test cases 13 to 16, the 256-bit key ones:
// the primitive under ChunkCipher is AES-256-GCM exactly.
TEST(ChunkCipherKnownAnswerTest, Aes256GcmMatchesTheGcmSpecVectors) {
  struct Vector {
    const char* name;
    const char* key;
    const char* nonce;
    const char* aad;
    const char* plaintext;
    const char* ciphertext;
    const char* tag;
  };
  const std::string spec_key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
  const std::string spec_plaintext =
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
  const std::string spec_ciphertext =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
  const std::string zero_key(64, '0');
  const std::string zero_block(32, '0');
  const std::string short_plaintext = spec_plaintext.substr(0, 120);
  const std::string short_ciphertext = spec_ciphertext.substr(0, 120);
  const Vector vectors[] = {
      {"test case 13", zero_key.c_str(), "000000000000000000000000", "", "", "",
       "530f8afbc74536b9a963b4f1c4cb738b"},
      {"test case 14", zero_key.c_str(), "000000000000000000000000", "", zero_block.c_str(),
       "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
      {"test case 15", spec_key.c_str(), "cafebabefacedbaddecaf888", "", spec_plaintext.c_str(),
       spec_ciphertext.c_str(), "b094dac5d93471bdec1a502270e3cc6c"},
      {"test case 16", spec_key.c_str(), "cafebabefacedbaddecaf888",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2", short_plaintext.c_str(),
       short_ciphertext.c_str(), "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    const std::string plaintext = Unhex(v.plaintext);
    std::string sealed;
    Status st = internal::GcmSealWithNonce(Unhex(v.key), Unhex(v.nonce), Unhex(v.aad),
                                           plaintext.data(), plaintext.size(), &sealed);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(sealed, Unhex(v.nonce) + Unhex(v.ciphertext) + Unhex(v.tag));
  }
}

TEST(ChunkCipherKnownAnswerTest, GcmSealWithNonceChecksItsKeyAndNonceLengths) {
  std::string out;
  EXPECT_EQ(internal::GcmSealWithNonce(std::string(31, 'k'), std::string(12, 'n'), "", "", 0, &out)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::GcmSealWithNonce(std::string(32, 'k'), std::string(16, 'n'), "", "", 0, &out)
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stasis::stream
