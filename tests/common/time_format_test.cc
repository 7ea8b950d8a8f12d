#include "common/time_format.h"

#include <gtest/gtest.h>

namespace stasis {
namespace {

TEST(TimeFormatTest, StampsAreUtcAndSortInTimeOrder) {
  // 2026-11-24 12:30:36 UTC.
  EXPECT_EQ(CompactUtcStamp(1795523436), "20261124T123036Z");
  EXPECT_EQ(CompactUtcStampMillis(1795523436007), "20261124T123036.007Z");
  EXPECT_LT(CompactUtcStampMillis(1795523436007), CompactUtcStampMillis(1795523436100));
  EXPECT_LT(CompactUtcStampMillis(1795523436999), CompactUtcStampMillis(1795523437000));
  EXPECT_EQ(HumanUtcTime(1795523436), "2026-11-24 12:30:36");
  EXPECT_EQ(Rfc3339Utc(1795523436), "2026-11-24T12:30:36Z");
}

TEST(TimeFormatTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(512), "512B");
  EXPECT_EQ(HumanBytes(1536), "1.5KiB");
}

}  // namespace
}  // namespace stasis
