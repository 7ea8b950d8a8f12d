#include "storage/location.h"

#include <gtest/gtest.h>

namespace stasis::storage {
namespace {

TEST(LocationTest, AbsolutePathIsFile) {
  auto loc = ParseLocation("/var//lib/stasis/");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->scheme, "file");
  EXPECT_EQ(loc->path, "/var/lib/stasis");
  EXPECT_EQ(loc->ToString(), "/var/lib/stasis");
}

TEST(LocationTest, FileUri) {
  auto loc = ParseLocation("FILE:///tmp/x");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->scheme, "file");
  EXPECT_EQ(loc->path, "/tmp/x");
}

TEST(LocationTest, S3BucketAndPrefix) {
  auto loc = ParseLocation("s3://my-bucket//ckpt/job1/");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->scheme, "s3");
  EXPECT_EQ(loc->bucket, "my-bucket");
  EXPECT_EQ(loc->path, "ckpt/job1");
  EXPECT_EQ(loc->ToString(), "s3://my-bucket/ckpt/job1");
  auto bare = ParseLocation("s3://my-bucket");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->path, "");
  EXPECT_EQ(bare->ToString(), "s3://my-bucket");
}

TEST(LocationTest, BadInputIsOneSentence) {
  for (const char* bad : {"relative/path", "", "file://relative", "s3://", "s3:///key",
                          "s3://UPPER/x", "ftp://host/x", "s3://a/x"}) {
    auto loc = ParseLocation(bad);
    EXPECT_FALSE(loc.ok()) << bad;
    if (!loc.ok()) {
      EXPECT_EQ(loc.status().code(), StatusCode::kInvalidArgument) << bad;
      EXPECT_FALSE(loc.status().message().empty());
    }
  }
}

TEST(LocationTest, JoinKeepsForm) {
  EXPECT_EQ(JoinLocation("/a", "x"), "/a/x");
  EXPECT_EQ(JoinLocation("/a/", "x"), "/a/x");
  EXPECT_EQ(JoinLocation("file:///a/", "x"), "file:///a/x");
  EXPECT_EQ(JoinLocation("s3://b", "x"), "s3://b/x");
}

TEST(LocationTest, DirectoryBuckets) {
  EXPECT_TRUE(IsDirectoryBucket("ckpt--use1-az4--x-s3"));
  EXPECT_FALSE(IsDirectoryBucket("ckpt"));
  EXPECT_FALSE(IsDirectoryBucket("--x-s3"));
}

}  // namespace
}  // namespace stasis::storage
