#include "archive/compression.h"

#include <gtest/gtest.h>

namespace stasis::archive {
namespace {

TEST(CompressionTest, NamesAndExtensionsRoundTrip) {
  for (const char* name : {"none", "gzip", "lz4", "zstd"}) {
    auto c = ParseCompression(name);
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_EQ(CompressionName(*c), name);
    std::string file = "dump-x" + std::string(ArchiveExtension(*c));
    auto back = CompressionFromFileName(file);
    ASSERT_TRUE(back.ok()) << file;
    EXPECT_EQ(*back, *c);
  }
}

TEST(CompressionTest, UnknownIsRefusedWithTheChoices) {
  auto c = ParseCompression("xz");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("none, gzip, lz4, zstd"), std::string::npos);
  EXPECT_FALSE(CompressionFromFileName("dump.zip").ok());
  EXPECT_FALSE(CompressionFromFileName(".tar").ok());
}

}  // namespace
}  // namespace stasis::archive
