#include "archive/manifest.h"

#include <gtest/gtest.h>

namespace stasis::archive {
namespace {

Manifest Sample() {
  Manifest m;
  m.job_id = "train-1";
  m.pid = 42;
  m.job.argv = {"python3", "train.py", "--name=\"quoted\" \xc3\xa9"};
  m.job.cwd = "/srv";
  m.job.pid_namespace = true;
  m.criu_version = "4.1.1";
  m.created = "2026-11-24T12:00:00Z";
  m.created_unix = 1795521600;
  m.compression = "zstd";
  m.tcp_established = true;
  m.files = {{"inventory.img", 12, std::string(64, 'a')},
             {"pages-1.img", 4096, std::string(64, 'b')}};
  m.total_bytes = 4108;
  return m;
}

TEST(ManifestTest, RoundTrip) {
  Manifest m = Sample();
  auto back = ManifestFromJson(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->job_id, m.job_id);
  EXPECT_EQ(back->job.argv, m.job.argv);
  EXPECT_TRUE(back->job.pid_namespace);
  EXPECT_TRUE(back->tcp_established);
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[1].size, 4096u);
  EXPECT_EQ(back->total_bytes, 4108u);
}

TEST(ManifestTest, NewerFormatIsRefused) {
  std::string json = ManifestToJson(Sample());
  json.replace(json.find("\"format_version\": 1"), 19, "\"format_version\": 2");
  auto m = ManifestFromJson(json);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("newer than this stasis supports"), std::string::npos);
}

TEST(ManifestTest, MalformedIsCorruption) {
  for (const char* bad :
       {"", "{", "[]", "{\"kind\": \"plain\"}", "{\"format_version\": 1, \"kind\": 3}",
        "{\"format_version\": 1, \"kind\": \"plain\", \"files\": "
        "[{\"name\": \"../x\", \"size\": 1, \"sha256\": \""
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\"}], \"total_bytes\": 1}",
        "{\"format_version\": 1, \"kind\": \"plain\", \"files\": "
        "[{\"name\": \"x\", \"size\": 1, \"sha256\": \"XYZ\"}], \"total_bytes\": 1}"}) {
    auto m = ManifestFromJson(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << bad;
  }
}

TEST(ManifestTest, SafeNames) {
  EXPECT_TRUE(IsSafeMemberName("pages-1.img"));
  EXPECT_FALSE(IsSafeMemberName(""));
  EXPECT_FALSE(IsSafeMemberName(".."));
  EXPECT_FALSE(IsSafeMemberName("a/b"));
  EXPECT_FALSE(IsSafeMemberName("/etc/passwd"));
}

}  // namespace
}  // namespace stasis::archive
