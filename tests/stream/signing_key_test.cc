// The daemon's manifest signing key against real files and real OpenSSL:
// LoadOrCreate makes a private key file once and never rewrites it, key
// files others could read or that hold no key are refused, key ids name
// keys apart, Verify accepts exactly what Mac made, and the MAC is the
// construction docs/manifest-format.md "Signatures" documents, recomputed
// here with OpenSSL's HMAC so other implementations can rely on it.
#include "stream/signing_key.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace stasis::stream {
namespace {

namespace fs = std::filesystem;

constexpr char kKeyHex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kOtherKeyHex[] = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kText[] = R"({"format_version":1,"kind":"plain","signed_by":"s1-0011223344556677"})";

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

// HMAC-SHA256 with OpenSSL's one-shot HMAC(), not the code under test's.
std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &size) == nullptr)
    return "";
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

class SigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-signing-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteKeyFile(const std::string& name, const std::string& contents,
                           mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
    EXPECT_EQ(::fchmod(fd, mode), 0);
    ::close(fd);
    return path;
  }

  SigningKey KeyFromHex(const std::string& name, const char* hex) {
    auto key = SigningKey::FromFile(WriteKeyFile(name, std::string(hex) + "\n"));
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    if (!key.ok()) std::abort();
    return *key;
  }

  std::string dir_;
};

TEST_F(SigningKeyTest, LoadOrCreateMakesAPrivateHexKeyFileAndReadsItBack) {
  const std::string path = dir_ + "/signing.key";
  auto created = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string contents = ReadFile(path);
  std::string digits = contents;
  while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.back())))
    digits.pop_back();
  ASSERT_EQ(digits.size(), 64u) << contents;
  EXPECT_TRUE(IsLowerHex(digits)) << contents;
  EXPECT_NE(digits, std::string(64, '0'));
  EXPECT_EQ(created->SecretHex(), digits);

  auto again = SigningKey::FromFile(path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->KeyId(), created->KeyId());
  EXPECT_EQ(again->Mac(kText), created->Mac(kText));
  EXPECT_TRUE(again->Verify(kText, created->Mac(kText)));
}

TEST_F(SigningKeyTest, ASecondLoadOrCreateKeepsTheFileAndTheKey) {
  const std::string path = dir_ + "/signing.key";
  auto first = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string contents = ReadFile(path);
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);

  auto second = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(ReadFile(path), contents);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(second->KeyId(), first->KeyId());
  EXPECT_EQ(second->Mac(kText), first->Mac(kText));
}

TEST_F(SigningKeyTest, LoadOrCreateUsesAnExistingKeyFileAsIs) {
  const std::string path = WriteKeyFile("signing.key", std::string(kKeyHex) + "\n");
  auto key = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->SecretHex(), kKeyHex);
  EXPECT_EQ(ReadFile(path), std::string(kKeyHex) + "\n");
}

TEST_F(SigningKeyTest, LoadOrCreateDoesNotReplaceABadKeyFile) {
  const std::string readable = WriteKeyFile("readable.key", std::string(kKeyHex) + "\n", 0644);
  auto key = SigningKey::LoadOrCreate(readable);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied) << key.status().ToString();
  EXPECT_EQ(ReadFile(readable), std::string(kKeyHex) + "\n");

  const std::string malformed = WriteKeyFile("malformed.key", "not a key\n");
  key = SigningKey::LoadOrCreate(malformed);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(ReadFile(malformed), "not a key\n");
}

TEST_F(SigningKeyTest, LoadOrCreateInAMissingDirectoryFails) {
  auto key = SigningKey::LoadOrCreate(dir_ + "/no/such/dir/signing.key");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("signing key file"), std::string::npos)
      << key.status().ToString();
}

TEST_F(SigningKeyTest, AKeyFileOthersCanReadIsRefused) {
  for (mode_t mode : {0644, 0640, 0604}) {
    SCOPED_TRACE(mode);
    const std::string path = WriteKeyFile("signing.key", std::string(kKeyHex) + "\n", mode);
    auto key = SigningKey::FromFile(path);
    ASSERT_FALSE(key.ok());
    const std::string message = key.status().message();
    EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied) << message;
    EXPECT_NE(message.find("signing key file"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
    EXPECT_EQ(message.find(std::string(kKeyHex).substr(0, 16)), std::string::npos) << message;
  }
}

TEST_F(SigningKeyTest, AMalformedKeyFileIsRefused) {
  const std::string hex(kKeyHex);
  for (const std::string& bad : {std::string(), hex.substr(0, 62) + "\n", hex + "00",
                                 "x" + hex.substr(1), std::string("not a key")}) {
    SCOPED_TRACE("contents of " + std::to_string(bad.size()) + " bytes");
    auto key = SigningKey::FromFile(WriteKeyFile("signing.key", bad));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status().ToString();
    EXPECT_NE(key.status().message().find("signing key file"), std::string::npos)
        << key.status().ToString();
  }
  auto missing = SigningKey::FromFile(dir_ + "/missing.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

TEST_F(SigningKeyTest, RawAndHexKeyFilesGiveTheSameKey) {
  SigningKey hex = KeyFromHex("hex.key", kKeyHex);
  auto raw = SigningKey::FromFile(WriteKeyFile("raw.key", Unhex(kKeyHex)));
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->KeyId(), hex.KeyId());
  EXPECT_EQ(raw->Mac(kText), hex.Mac(kText));
}

TEST_F(SigningKeyTest, KeyIdNamesTheKeyWithoutRevealingIt) {
  SigningKey key = KeyFromHex("a.key", kKeyHex);
  SigningKey other = KeyFromHex("b.key", kOtherKeyHex);
  for (const SigningKey* k : {&key, &other}) {
    const std::string id = k->KeyId();
    ASSERT_TRUE(id.starts_with("s1-")) << id;
    EXPECT_EQ(id.size(), 3u + 16u) << id;
    EXPECT_TRUE(IsLowerHex(id.substr(3))) << id;
    EXPECT_EQ(k->SecretHex().find(id.substr(3)), std::string::npos) << id;
  }
  EXPECT_NE(key.KeyId(), other.KeyId());
  // The same key read twice has the same id.
  EXPECT_EQ(KeyFromHex("c.key", kKeyHex).KeyId(), key.KeyId());
}

TEST_F(SigningKeyTest, VerifyAcceptsOnlyTheMacOfThisTextUnderThisKey) {
  SigningKey key = KeyFromHex("a.key", kKeyHex);
  SigningKey other = KeyFromHex("b.key", kOtherKeyHex);
  const std::string text = kText;
  const std::string mac = key.Mac(text);
  ASSERT_EQ(mac.size(), 64u);
  EXPECT_TRUE(IsLowerHex(mac)) << mac;
  EXPECT_TRUE(key.Verify(text, mac));

  for (size_t i : {size_t{0}, text.size() / 2, text.size() - 1}) {
    std::string flipped = text;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(key.Verify(flipped, mac)) << "text byte " << i;
  }
  EXPECT_FALSE(key.Verify(text + " ", mac));
  EXPECT_FALSE(key.Verify("", mac));

  for (size_t i : {size_t{0}, size_t{31}, size_t{63}}) {
    std::string flipped = mac;
    flipped[i] = flipped[i] == '0' ? '1' : '0';
    EXPECT_FALSE(key.Verify(text, flipped)) << "mac digit " << i;
  }

  const std::string other_mac = other.Mac(text);
  EXPECT_NE(other_mac, mac);
  EXPECT_FALSE(key.Verify(text, other_mac));
  EXPECT_FALSE(other.Verify(text, mac));

  EXPECT_FALSE(key.Verify(text, ""));
  EXPECT_FALSE(key.Verify(text, mac.substr(0, 63)));
  EXPECT_FALSE(key.Verify(text, mac.substr(0, 32)));
  EXPECT_FALSE(key.Verify(text, mac + "0"));
  EXPECT_FALSE(key.Verify(text, mac + mac));
}

// docs/manifest-format.md "Signatures": HMAC-SHA256 (lowercase hex) under
// HMAC-SHA256(signing key, "stasis manifest mac v1").
TEST_F(SigningKeyTest, MacIsTheDocumentedHmacConstruction) {
  for (const char* hex : {kKeyHex, kOtherKeyHex}) {
    SCOPED_TRACE(hex);
    SigningKey key = KeyFromHex("known.key", hex);
    const std::string mac_key = HmacSha256(Unhex(hex), "stasis manifest mac v1");
    ASSERT_EQ(mac_key.size(), 32u);
    for (const std::string& text : {std::string(kText), std::string(), std::string(1000, 'x')}) {
      const std::string expected = HmacSha256(mac_key, text);
      ASSERT_EQ(expected.size(), 32u);
      const std::string expected_hex =
          Hex(reinterpret_cast<const unsigned char*>(expected.data()), expected.size());
      EXPECT_EQ(key.Mac(text), expected_hex) << "text of " << text.size() << " bytes";
      EXPECT_TRUE(key.Verify(text, expected_hex));
    }
    // Not the key itself: a MAC under the raw key must not verify.
    const std::string raw = HmacSha256(Unhex(hex), kText);
    EXPECT_FALSE(
        key.Verify(kText, Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size())));
  }
}

// A key created by LoadOrCreate follows the same construction over the
// digits it wrote.
TEST_F(SigningKeyTest, ACreatedKeyMacsWithTheKeyInItsFile) {
  const std::string path = dir_ + "/signing.key";
  auto key = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::string digits = ReadFile(path).substr(0, 64);
  const std::string mac_key = HmacSha256(Unhex(digits), "stasis manifest mac v1");
  const std::string expected = HmacSha256(mac_key, kText);
  EXPECT_EQ(key->Mac(kText),
            Hex(reinterpret_cast<const unsigned char*>(expected.data()), expected.size()));
}

}  // namespace
}  // namespace stasis::stream
