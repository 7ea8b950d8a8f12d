// Who may restore what (daemon/checkpoint_trust.h), with real signing keys
// in a temp dir and manifests that went through their real serialization:
// Of() tells signed, unsigned, another key's and altered manifests apart,
// for plain archives and streamed checkpoints (signed or encrypted), and
// Admit() applies checkpoint.trust, an encryption key's implied "signed",
// --trust-unsigned and the rule that non-root callers restore only their
// own signed checkpoints.
#include "daemon/checkpoint_trust.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "archive/manifest.h"
#include "common/caller.h"
#include "config/config.h"
#include "stream/chunk_cipher.h"
#include "stream/signing_key.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {
namespace {

namespace fs = std::filesystem;

constexpr char kEncryptionKeyHex[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kOtherEncryptionKeyHex[] =
    "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kWhat[] = "checkpoint /srv/ckpt/dump-1.tar";

archive::Manifest Sample(uint32_t uid = 1001) {
  archive::Manifest m;
  m.job_id = "train-1";
  m.pid = 42;
  m.job.argv = {"python3", "train.py"};
  m.job.cwd = "/srv";
  m.job.uid = uid;
  m.job.gid = uid;
  m.job.groups = {27};
  m.criu_version = "4.1.1";
  m.created = "2026-11-24T12:00:00Z";
  m.created_unix = 1795521600;
  m.compression = "zstd";
  m.files = {{"inventory.img", 12, std::string(64, 'a')},
             {"pages-1.img", 4096, std::string(64, 'b')}};
  m.total_bytes = 4108;
  return m;
}

stream::StreamManifest StreamSample(uint32_t uid = 1001) {
  stream::StreamManifest m;
  m.checkpoint = Sample(uid);
  m.checkpoint.kind = "stream";
  m.checkpoint.files.clear();
  m.checkpoint.total_bytes = 4108;
  m.shards = {{"shard-0.lz4", 5000}};
  m.files = {{"inventory.img", 12, {{0, 0, 20, 12, 7, ""}}, {}},
             {"pages-1.img", 4096, {{0, 20, 3000, 4096, 9, ""}}, {}}};
  return m;
}

Caller User(uid_t uid) {
  Caller c;
  c.uid = uid;
  c.gid = uid;
  c.groups = {27};
  c.pid = 1234;
  return c;
}

void ReplaceOnce(std::string* text, const std::string& from, const std::string& to) {
  size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << *text;
  text->replace(at, from.size(), to);
}

archive::Manifest Parse(const std::string& json) {
  auto m = archive::ManifestFromJson(json);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : archive::Manifest{};
}

stream::StreamManifest ParseStream(const std::string& json) {
  auto m = stream::StreamManifestFromJson(json);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : stream::StreamManifest{};
}

// As the daemon seals a streamed checkpoint (daemon/streamed_checkpoint.cc).
std::string SignedStreamJson(stream::StreamManifest m, const stream::SigningKey& key) {
  m.seal.signed_by = key.KeyId();
  m.seal.mac = key.Mac(stream::StreamManifestSignedText(m));
  return stream::StreamManifestToJson(m);
}

std::string EncryptedStreamJson(stream::StreamManifest m, const char* key_hex) {
  auto key = stream::EncryptionKey::FromHex(key_hex, "test key");
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  auto cipher = stream::ChunkCipher::ForNewCheckpoint(*key);
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  m.encryption.cipher = stream::kStreamCipher;
  m.encryption.key_id = cipher->KeyId();
  m.encryption.salt = cipher->SaltHex();
  m.seal.mac = cipher->Mac(stream::StreamManifestSignedText(m));
  return stream::StreamManifestToJson(m);
}

class CheckpointTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-trust-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto key = stream::SigningKey::LoadOrCreate(dir_ + "/signing.key");
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_.emplace(*key);
    auto other = stream::SigningKey::LoadOrCreate(dir_ + "/other.key");
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_.emplace(*other);
    ASSERT_NE(key_->KeyId(), other_->KeyId());
  }
  void TearDown() override { fs::remove_all(dir_); }

  CheckpointTrust Trust() const { return CheckpointTrust(&config_, &*key_); }

  archive::Manifest Signed(const archive::Manifest& m) const {
    return Parse(archive::SealedManifestJson(m, &*key_));
  }
  archive::Manifest SignedByOther(const archive::Manifest& m) const {
    return Parse(archive::SealedManifestJson(m, &*other_));
  }
  archive::Manifest Unsigned(const archive::Manifest& m) const {
    return Parse(archive::SealedManifestJson(m, nullptr));
  }
  archive::Manifest Altered(const archive::Manifest& m) const {
    std::string json = archive::SealedManifestJson(m, &*key_);
    ReplaceOnce(&json, "\"pid\": 42", "\"pid\": 43");
    return Parse(json);
  }

  std::string dir_;
  config::Config config_;
  std::optional<stream::SigningKey> key_;
  std::optional<stream::SigningKey> other_;
};

// --- Of(), plain archives ---

TEST_F(CheckpointTrustTest, APlainManifestSealedWithTheKeyIsSigned) {
  archive::Manifest m = Signed(Sample());
  EXPECT_EQ(m.seal.signed_by, key_->KeyId());
  EXPECT_EQ(Trust().Of(m), Authenticity::kSigned);
}

TEST_F(CheckpointTrustTest, APlainManifestWithoutAMacIsUnsigned) {
  EXPECT_EQ(Trust().Of(Unsigned(Sample())), Authenticity::kUnsigned);
  EXPECT_EQ(Trust().Of(Sample()), Authenticity::kUnsigned);
}

TEST_F(CheckpointTrustTest, APlainManifestSealedWithAnotherKeyIsOtherKey) {
  archive::Manifest m = SignedByOther(Sample());
  EXPECT_EQ(m.seal.signed_by, other_->KeyId());
  EXPECT_EQ(Trust().Of(m), Authenticity::kOtherKey);
}

TEST_F(CheckpointTrustTest, AnEditedPlainManifestIsAltered) {
  archive::Manifest m = Altered(Sample());
  EXPECT_EQ(m.pid, 43);
  EXPECT_EQ(m.seal.signed_by, key_->KeyId());
  EXPECT_EQ(Trust().Of(m), Authenticity::kAltered);

  // Making it someone else's is an edit too.
  std::string json = archive::SealedManifestJson(Sample(1001), &*key_);
  ReplaceOnce(&json, "\"uid\": 1001", "\"uid\": 1002");
  EXPECT_EQ(Trust().Of(Parse(json)), Authenticity::kAltered);
}

TEST_F(CheckpointTrustTest, AnotherKeysMacUnderThisKeysIdIsAltered) {
  // Claiming this host's key id does not help a MAC made with another key.
  archive::Manifest m = Sample();
  std::string json = archive::SealedManifestJson(m, &*other_);
  ReplaceOnce(&json, other_->KeyId(), key_->KeyId());
  EXPECT_EQ(Trust().Of(Parse(json)), Authenticity::kAltered);
}

TEST_F(CheckpointTrustTest, AMacWithNoSignedByIsOtherKey) {
  std::string json = archive::SealedManifestJson(Sample(), nullptr);
  ReplaceOnce(&json, "\"pid\": 42", "\"mac\": \"" + std::string(64, 'a') + "\", \"pid\": 42");
  EXPECT_EQ(Trust().Of(Parse(json)), Authenticity::kOtherKey);
}

TEST_F(CheckpointTrustTest, AHostWithoutASigningKeyTrustsNoSignature) {
  const CheckpointTrust keyless(&config_, nullptr);
  EXPECT_EQ(keyless.key(), nullptr);
  EXPECT_EQ(keyless.Of(Signed(Sample())), Authenticity::kOtherKey);
  EXPECT_EQ(keyless.Of(Unsigned(Sample())), Authenticity::kUnsigned);
}

// --- Of(), streamed checkpoints ---

TEST_F(CheckpointTrustTest, AStreamedManifestSealedWithTheKeyIsSigned) {
  stream::StreamManifest m = ParseStream(SignedStreamJson(StreamSample(), *key_));
  EXPECT_EQ(m.seal.signed_by, key_->KeyId());
  EXPECT_EQ(m.checkpoint.job.uid, 1001u);
  EXPECT_EQ(Trust().Of(m), Authenticity::kSigned);
}

TEST_F(CheckpointTrustTest, AStreamedManifestWithoutAMacIsUnsigned) {
  stream::StreamManifest m = ParseStream(stream::StreamManifestToJson(StreamSample()));
  EXPECT_TRUE(m.seal.mac.empty());
  EXPECT_EQ(Trust().Of(m), Authenticity::kUnsigned);
}

TEST_F(CheckpointTrustTest, AStreamedManifestSealedWithAnotherKeyIsOtherKey) {
  stream::StreamManifest m = ParseStream(SignedStreamJson(StreamSample(), *other_));
  EXPECT_EQ(Trust().Of(m), Authenticity::kOtherKey);
}

TEST_F(CheckpointTrustTest, AnEditedStreamedManifestIsAltered) {
  const std::string json = SignedStreamJson(StreamSample(), *key_);
  for (auto [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"\"pid\": 42", "\"pid\": 43"},
                                                        {"\"uid\": 1001", "\"uid\": 1002"},
                                                        {"\"shard-0.lz4\"", "\"shard-1.lz4\""},
                                                        {"\"size\": 5000", "\"size\": 5001"}}) {
    SCOPED_TRACE(from + " -> " + to);
    std::string edited = json;
    ReplaceOnce(&edited, from, to);
    stream::StreamManifest m = ParseStream(edited);
    EXPECT_EQ(m.seal.signed_by, key_->KeyId());
    EXPECT_EQ(Trust().Of(m), Authenticity::kAltered);
  }
}

TEST_F(CheckpointTrustTest, AnEncryptedStreamedManifestIsJudgedByItsEncryptionKey) {
  const std::string json = EncryptedStreamJson(StreamSample(), kEncryptionKeyHex);
  // No encryption key here: made with a key this host does not hold.
  EXPECT_EQ(Trust().Of(ParseStream(json)), Authenticity::kOtherKey);
  config_.checkpoint_encryption_key = kOtherEncryptionKeyHex;
  EXPECT_EQ(Trust().Of(ParseStream(json)), Authenticity::kOtherKey);
  config_.checkpoint_encryption_key = kEncryptionKeyHex;
  EXPECT_EQ(Trust().Of(ParseStream(json)), Authenticity::kSigned);
  std::string edited = json;
  ReplaceOnce(&edited, "\"pid\": 42", "\"pid\": 43");
  EXPECT_EQ(Trust().Of(ParseStream(edited)), Authenticity::kAltered);
}

// --- Admit(), root ---

TEST_F(CheckpointTrustTest, RootMayRestoreUnsignedUnderTrustAnyWithAWarning) {
  config_.checkpoint_trust = "any";
  const archive::Manifest m = Unsigned(Sample());
  std::string warning;
  Status st = Trust().Admit(RootCaller(), Trust().Of(m), m, /*encrypted=*/false,
                            /*trust_unsigned=*/false, kWhat, &warning);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_NE(warning.find("was not authenticated (unsigned)"), std::string::npos) << warning;
  EXPECT_NE(warning.find(kWhat), std::string::npos) << warning;
  // No place for a warning is fine too.
  st = Trust().Admit(RootCaller(), Authenticity::kUnsigned, m, false, false, kWhat, nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(CheckpointTrustTest, RootMayRestoreAlteredOrOtherKeysUnderTrustAnyWithAWarning) {
  config_.checkpoint_trust = "any";
  for (const archive::Manifest& m : {Altered(Sample()), SignedByOther(Sample())}) {
    const Authenticity a = Trust().Of(m);
    ASSERT_NE(a, Authenticity::kSigned);
    std::string warning;
    Status st = Trust().Admit(RootCaller(), a, m, false, false, kWhat, &warning);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_NE(warning.find(std::string("was not authenticated (") + AuthenticityName(a) + ")"),
              std::string::npos)
        << warning;
  }
}

TEST_F(CheckpointTrustTest, RootRestoresASignedCheckpointWithoutAWarning) {
  for (const char* trust : {"any", "signed"}) {
    SCOPED_TRACE(trust);
    config_.checkpoint_trust = trust;
    const archive::Manifest m = Signed(Sample(1001));  // someone else's: root may
    std::string warning;
    Status st = Trust().Admit(RootCaller(), Trust().Of(m), m, false, false, kWhat, &warning);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(warning, "");
  }
}

TEST_F(CheckpointTrustTest, TrustSignedRefusesUnsignedUnlessRootPassesTrustUnsigned) {
  config_.checkpoint_trust = "signed";
  const archive::Manifest m = Unsigned(Sample(0));
  std::string warning;
  Status st = Trust().Admit(RootCaller(), Trust().Of(m), m, false, false, kWhat, &warning);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find(kWhat), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("is not signed by a key this host trusts (unsigned)"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("--trust-unsigned"), std::string::npos) << st.message();
  EXPECT_EQ(warning, "");

  st = Trust().Admit(RootCaller(), Trust().Of(m), m, false, /*trust_unsigned=*/true, kWhat,
                     &warning);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_NE(warning.find("was not authenticated (unsigned)"), std::string::npos) << warning;
  EXPECT_NE(warning.find("--trust-unsigned"), std::string::npos) << warning;
}

TEST_F(CheckpointTrustTest, TrustSignedRefusesAlteredAndOtherKeys) {
  config_.checkpoint_trust = "signed";
  for (const archive::Manifest& m : {Altered(Sample(0)), SignedByOther(Sample(0))}) {
    const Authenticity a = Trust().Of(m);
    Status st = Trust().Admit(RootCaller(), a, m, false, false, kWhat, nullptr);
    ASSERT_FALSE(st.ok()) << AuthenticityName(a);
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    EXPECT_NE(st.message().find(std::string("is not signed by a key this host trusts (") +
                                AuthenticityName(a) + ")"),
              std::string::npos)
        << st.message();
  }
}

TEST_F(CheckpointTrustTest, AnEncryptingHostRefusesUnencryptedUnsignedCheckpoints) {
  config_.checkpoint_trust = "any";
  config_.checkpoint_encryption_key = kEncryptionKeyHex;
  const archive::Manifest m = Unsigned(Sample(0));
  Status st =
      Trust().Admit(RootCaller(), Trust().Of(m), m, /*encrypted=*/false, false, kWhat, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("is not signed by a key this host trusts (unsigned)"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("--trust-unsigned"), std::string::npos) << st.message();
  std::string warning;
  st = Trust().Admit(RootCaller(), Trust().Of(m), m, false, /*trust_unsigned=*/true, kWhat,
                     &warning);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_NE(warning.find("--trust-unsigned"), std::string::npos) << warning;

  // A key file counts as much as an inline key.
  config_.checkpoint_encryption_key.clear();
  config_.checkpoint_encryption_key_file = dir_ + "/encryption.key";
  st = Trust().Admit(RootCaller(), Authenticity::kUnsigned, m, false, false, kWhat, nullptr);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();

  // Signed ones, and encrypted ones that check out, still pass.
  const archive::Manifest signed_m = Signed(Sample(0));
  st = Trust().Admit(RootCaller(), Trust().Of(signed_m), signed_m, false, false, kWhat, nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = Trust().Admit(RootCaller(), Authenticity::kSigned, m, /*encrypted=*/true, false, kWhat,
                     nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(CheckpointTrustTest, AnEncryptedStreamedCheckpointIsAdmittedOnItsOwnMac) {
  config_.checkpoint_trust = "signed";
  config_.checkpoint_encryption_key = kEncryptionKeyHex;
  const stream::StreamManifest m =
      ParseStream(EncryptedStreamJson(StreamSample(1001), kEncryptionKeyHex));
  const Authenticity a = Trust().Of(m);
  ASSERT_EQ(a, Authenticity::kSigned);
  Status st = Trust().Admit(User(1001), a, m.checkpoint, /*encrypted=*/true, false, kWhat, nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = Trust().Admit(User(1002), a, m.checkpoint, true, false, kWhat, nullptr);
  EXPECT_NE(st.message().find("belongs to another user"), std::string::npos) << st.ToString();
}

// --- Admit(), other users ---

TEST_F(CheckpointTrustTest, AUserMayRestoreTheirOwnSignedCheckpoint) {
  for (const char* trust : {"any", "signed"}) {
    SCOPED_TRACE(trust);
    config_.checkpoint_trust = trust;
    const archive::Manifest m = Signed(Sample(1001));
    std::string warning;
    Status st = Trust().Admit(User(1001), Trust().Of(m), m, false, false, kWhat, &warning);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(warning, "");

    const stream::StreamManifest s = ParseStream(SignedStreamJson(StreamSample(1001), *key_));
    st = Trust().Admit(User(1001), Trust().Of(s), s.checkpoint, false, false, kWhat, nullptr);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
}

TEST_F(CheckpointTrustTest, AUserMayNotRestoreAnotherUsersSignedCheckpoint) {
  for (uint32_t owner : {1002u, 0u}) {
    SCOPED_TRACE(owner);
    const archive::Manifest m = Signed(Sample(owner));
    ASSERT_EQ(Trust().Of(m), Authenticity::kSigned);
    Status st = Trust().Admit(User(1001), Trust().Of(m), m, false, false, kWhat, nullptr);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    EXPECT_NE(st.message().find(kWhat), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("belongs to another user"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("uid " + std::to_string(owner)), std::string::npos) << st.message();
  }
  // Sharing a group with the owner is not enough.
  Caller same_group = User(1001);
  same_group.gid = 1002;
  const archive::Manifest m = Signed(Sample(1002));
  Status st = Trust().Admit(same_group, Trust().Of(m), m, false, false, kWhat, nullptr);
  EXPECT_NE(st.message().find("belongs to another user"), std::string::npos) << st.ToString();
}

TEST_F(CheckpointTrustTest, AUserMayNotRestoreAnythingUnauthenticatedEvenUnderTrustAny) {
  config_.checkpoint_trust = "any";
  const stream::StreamManifest unsigned_stream =
      ParseStream(stream::StreamManifestToJson(StreamSample(1001)));
  std::string altered_stream_json = SignedStreamJson(StreamSample(1001), *key_);
  ReplaceOnce(&altered_stream_json, "\"pid\": 42", "\"pid\": 43");
  const stream::StreamManifest altered_stream = ParseStream(altered_stream_json);
  struct Case {
    const char* name;
    Authenticity a;
    archive::Manifest m;
  };
  const Case cases[] = {
      {"unsigned", Trust().Of(Unsigned(Sample(1001))), Unsigned(Sample(1001))},
      {"altered", Trust().Of(Altered(Sample(1001))), Altered(Sample(1001))},
      {"other key", Trust().Of(SignedByOther(Sample(1001))), SignedByOther(Sample(1001))},
      {"unsigned stream", Trust().Of(unsigned_stream), unsigned_stream.checkpoint},
      {"altered stream", Trust().Of(altered_stream), altered_stream.checkpoint},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_NE(c.a, Authenticity::kSigned);
    ASSERT_EQ(c.m.job.uid, 1001u);
    std::string warning;
    Status st = Trust().Admit(User(1001), c.a, c.m, false, false, kWhat, &warning);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    EXPECT_NE(st.message().find(std::string("is not signed by a key this host trusts (") +
                                AuthenticityName(c.a) + ")"),
              std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find("only root"), std::string::npos) << st.message();
    EXPECT_EQ(warning, "");
  }
}

TEST_F(CheckpointTrustTest, TrustUnsignedIsForRootOnly) {
  config_.checkpoint_trust = "any";
  for (const archive::Manifest& m : {Unsigned(Sample(1001)), Signed(Sample(1001))}) {
    Status st =
        Trust().Admit(User(1001), Trust().Of(m), m, false, /*trust_unsigned=*/true, kWhat, nullptr);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    EXPECT_NE(st.message().find("--trust-unsigned is for root only"), std::string::npos)
        << st.message();
  }
}

TEST(AuthenticityNameTest, NamesEveryVerdict) {
  EXPECT_STREQ(AuthenticityName(Authenticity::kSigned), "signed");
  EXPECT_STREQ(AuthenticityName(Authenticity::kUnsigned), "unsigned");
  EXPECT_STREQ(AuthenticityName(Authenticity::kOtherKey), "signed by another key");
  EXPECT_STREQ(AuthenticityName(Authenticity::kAltered), "altered since it was signed");
}

}  // namespace
}  // namespace stasis::daemon
