// A plain archive's manifest seal: what SealedManifestJson signs is exactly
// what ManifestFromJson hands back as the signed text (the manifest without
// "mac", compact, keys sorted, "signed_by" included), so a MAC made at dump
// time checks out at restore and an edit does not. Also the job's owner
// (uid, gid, groups), which the seal protects. The signer here is a small
// HMAC-SHA256 one: the archive module must not depend on the stream one.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "archive/manifest.h"

namespace stasis::archive {
namespace {

// HMAC-SHA256 under a fixed key; remembers every text it was asked to sign.
class TestSigner final : public ManifestSigner {
 public:
  explicit TestSigner(std::string key, std::string id) : key_(std::move(key)), id_(std::move(id)) {}
  std::string KeyId() const override { return id_; }
  std::string Mac(std::string_view text) const override {
    signed_texts_.emplace_back(text);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
             reinterpret_cast<const unsigned char*>(text.data()), text.size(), out,
             &size) == nullptr)
      return "";
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(digits[out[i] >> 4]);
      hex.push_back(digits[out[i] & 15]);
    }
    return hex;
  }
  const std::vector<std::string>& signed_texts() const { return signed_texts_; }

 private:
  std::string key_;
  std::string id_;
  mutable std::vector<std::string> signed_texts_;
};

Manifest Sample() {
  Manifest m;
  m.job_id = "train-1";
  m.pid = 42;
  m.job.argv = {"python3", "train.py", "--name=\"quoted\" \xc3\xa9"};
  m.job.cwd = "/srv";
  m.job.env = {"PATH=/usr/bin", "LANG=C.UTF-8"};
  m.job.pid_namespace = true;
  m.job.uid = 1001;
  m.job.gid = 1002;
  m.job.groups = {27, 1003};
  m.criu_version = "4.1.1";
  m.kernel = "6.1.0";
  m.host = "node-7";
  m.created = "2026-11-24T12:00:00Z";
  m.created_unix = 1795521600;
  m.compression = "zstd";
  m.tcp_established = true;
  m.files = {{"inventory.img", 12, std::string(64, 'a')},
             {"pages-1.img", 4096, std::string(64, 'b')}};
  m.total_bytes = 4108;
  return m;
}

void ReplaceOnce(std::string* text, const std::string& from, const std::string& to) {
  size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << *text;
  text->replace(at, from.size(), to);
}

TEST(ManifestSealTest, TheParsedSealIsWhatTheSignerSigned) {
  const TestSigner signer("k", "s1-0123456789abcdef");
  const std::string json = SealedManifestJson(Sample(), &signer);
  ASSERT_EQ(signer.signed_texts().size(), 1u);

  auto m = ManifestFromJson(json);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->seal.signed_by, "s1-0123456789abcdef");
  ASSERT_EQ(m->seal.mac.size(), 64u);
  EXPECT_EQ(m->seal.signed_text, TextToSign(json));
  EXPECT_EQ(m->seal.signed_text, signer.signed_texts()[0]);
  EXPECT_EQ(m->seal.mac, signer.Mac(m->seal.signed_text));
  // The rest of the manifest reads as usual.
  EXPECT_EQ(m->job_id, "train-1");
  EXPECT_EQ(m->pid, 42);
  EXPECT_EQ(m->files.size(), 2u);
}

TEST(ManifestSealTest, TheSignedTextCoversSignedByButNotTheMac) {
  const TestSigner signer("k", "s1-0123456789abcdef");
  auto m = ManifestFromJson(SealedManifestJson(Sample(), &signer));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const std::string& text = m->seal.signed_text;
  EXPECT_EQ(text.find("\"mac\""), std::string::npos) << text;
  EXPECT_EQ(text.find(m->seal.mac), std::string::npos) << text;
  EXPECT_NE(text.find("\"signed_by\":\"s1-0123456789abcdef\""), std::string::npos) << text;
  // Compact: no newline and no ": " anywhere (no value in Sample() holds one).
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find("\": "), std::string::npos) << text;
  EXPECT_TRUE(text.starts_with("{\"compression\":")) << text;  // keys sorted
}

TEST(ManifestSealTest, TextToSignIsCompactSortedAndDropsOnlyTheMac) {
  EXPECT_EQ(TextToSign(R"({"b": 1, "mac": "ff", "a": [1, 2], "signed_by": "s1-x"})"),
            R"({"a":[1,2],"b":1,"signed_by":"s1-x"})");
  EXPECT_EQ(TextToSign("{\n  \"z\": {\"y\": 2, \"x\": 1}\n}"), R"({"z":{"x":1,"y":2}})");
  // A nested "mac" is content, not the seal.
  EXPECT_EQ(TextToSign(R"({"job": {"mac": "x"}})"), R"({"job":{"mac":"x"}})");
  EXPECT_EQ(TextToSign("not json"), "");
  EXPECT_EQ(TextToSign("[1, 2]"), "");
}

TEST(ManifestSealTest, AnyEditChangesTheSignedText) {
  const TestSigner signer("k", "s1-0123456789abcdef");
  const std::string json = SealedManifestJson(Sample(), &signer);
  auto original = ManifestFromJson(json);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"pid\": 42", "\"pid\": 43"},
           {"\"uid\": 1001", "\"uid\": 0"},
           {"\"signed_by\": \"s1-0123456789abcdef\"", "\"signed_by\": \"s1-0123456789abcdee\""},
           {std::string(64, 'b'), std::string(64, 'c')}}) {
    SCOPED_TRACE(from + " -> " + to);
    std::string edited = json;
    ReplaceOnce(&edited, from, to);
    auto m = ManifestFromJson(edited);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->seal.mac, original->seal.mac);
    EXPECT_NE(m->seal.signed_text, original->seal.signed_text);
    EXPECT_NE(signer.Mac(m->seal.signed_text), m->seal.mac);
  }
  // Whitespace is not an edit: the signed text is canonical.
  std::string reindented = json;
  ReplaceOnce(&reindented, "\"pid\": 42", "\"pid\":     42");
  auto m = ManifestFromJson(reindented);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->seal.signed_text, original->seal.signed_text);
}

TEST(ManifestSealTest, WithoutASignerThereIsNoSeal) {
  const Manifest sample = Sample();
  const std::string json = SealedManifestJson(sample, nullptr);
  EXPECT_EQ(json, ManifestToJson(sample));
  EXPECT_EQ(json.find("\"mac\""), std::string::npos);
  EXPECT_EQ(json.find("\"signed_by\""), std::string::npos);
  auto m = ManifestFromJson(json);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->seal.mac.empty());
  EXPECT_TRUE(m->seal.signed_by.empty());
  EXPECT_TRUE(m->seal.signed_text.empty());
}

TEST(ManifestSealTest, AMacThatIsNotAStringIsCorruption) {
  const std::string json = ManifestToJson(Sample());
  for (const char* mac : {"5", "null", "true", "[\"ab\"]", "{\"v\": \"ab\"}"}) {
    SCOPED_TRACE(mac);
    std::string bad = json;
    ReplaceOnce(&bad, "\"pid\": 42", std::string("\"mac\": ") + mac + ", \"pid\": 42");
    auto m = ManifestFromJson(bad);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
  }
  // So is a signed_by that is not a string.
  std::string bad = json;
  ReplaceOnce(&bad, "\"pid\": 42", "\"mac\": \"ab\", \"signed_by\": 7, \"pid\": 42");
  auto m = ManifestFromJson(bad);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
}

TEST(ManifestSealTest, AMacWithoutSignedByIsKeptAsIs) {
  std::string json = ManifestToJson(Sample());
  ReplaceOnce(&json, "\"pid\": 42", "\"mac\": \"abcd\", \"pid\": 42");
  auto m = ManifestFromJson(json);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->seal.mac, "abcd");
  EXPECT_EQ(m->seal.signed_by, "");
  EXPECT_EQ(m->seal.signed_text, TextToSign(json));
}

TEST(ManifestSealTest, ManifestToJsonNeverWritesTheSeal) {
  Manifest m = Sample();
  m.seal.signed_by = "s1-0123456789abcdef";
  m.seal.mac = std::string(64, 'e');
  m.seal.signed_text = "{}";
  const std::string json = ManifestToJson(m);
  EXPECT_EQ(json.find("\"mac\""), std::string::npos) << json;
  EXPECT_EQ(json.find(std::string(64, 'e')), std::string::npos) << json;
  EXPECT_EQ(json.find("\"signed_by\""), std::string::npos) << json;
  auto back = ManifestFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->seal.mac.empty());

  // Re-sealing a parsed sealed manifest signs it afresh, not with its old seal.
  const TestSigner signer("k", "s1-0123456789abcdef");
  auto sealed = ManifestFromJson(SealedManifestJson(m, &signer));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_NE(sealed->seal.mac, std::string(64, 'e'));
  EXPECT_EQ(sealed->seal.mac, signer.Mac(sealed->seal.signed_text));
}

TEST(ManifestSealTest, TheJobsOwnerRoundTrips) {
  const TestSigner signer("k", "s1-0123456789abcdef");
  for (const std::string& json :
       {ManifestToJson(Sample()), SealedManifestJson(Sample(), &signer)}) {
    auto m = ManifestFromJson(json);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->job.uid, 1001u);
    EXPECT_EQ(m->job.gid, 1002u);
    EXPECT_EQ(m->job.groups, (std::vector<uint32_t>{27, 1003}));
  }
  Manifest big = Sample();
  big.job.uid = 4294967294u;  // above INT32_MAX
  big.job.gid = 65534;
  big.job.groups = {};
  auto m = ManifestFromJson(ManifestToJson(big));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->job.uid, 4294967294u);
  EXPECT_EQ(m->job.gid, 65534u);
  EXPECT_TRUE(m->job.groups.empty());
}

TEST(ManifestSealTest, AManifestWithoutOwnerIsRoots) {
  for (const char* json :
       {R"({"format_version": 1, "kind": "plain", "job": {"argv": ["sleep", "1"], "cwd": "/"}})",
        R"({"format_version": 1, "kind": "plain"})"}) {
    SCOPED_TRACE(json);
    auto m = ManifestFromJson(json);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->job.uid, 0u);
    EXPECT_EQ(m->job.gid, 0u);
    EXPECT_TRUE(m->job.groups.empty());
    EXPECT_TRUE(m->seal.mac.empty());
  }
}

TEST(ManifestSealTest, AnOwnerOfTheWrongTypeIsCorruption) {
  for (const char* job :
       {R"({"uid": "1001"})", R"({"gid": [1]})", R"({"groups": 5})", R"({"groups": ["wheel"]})",
        // Ids that would wrap to root or to another user are refused too.
        R"({"uid": 4294967296})", R"({"uid": -1})", R"({"uid": 1001.5})", R"({"gid": 4294967296})",
        R"({"groups": [4294967296]})", R"({"groups": [-3]})"}) {
    SCOPED_TRACE(job);
    auto m = ManifestFromJson(std::string(R"({"format_version": 1, "kind": "plain", "job": )") +
                              job + "}");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
  }
}

}  // namespace
}  // namespace stasis::archive
