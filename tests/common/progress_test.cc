#include "common/progress.h"

#include <gtest/gtest.h>

namespace stasis {
namespace {

TEST(ProgressTest, LinesSayPhaseBytesShareAndRate) {
  Progress::Snapshot s;
  EXPECT_EQ(ProgressLine(s), "starting");
  s.phase = "writing s3://b/x.tar";
  EXPECT_EQ(ProgressLine(s), "writing s3://b/x.tar");
  s.bytes = 512ull << 20;
  s.phase_seconds = 2;
  EXPECT_EQ(ProgressLine(s), "writing s3://b/x.tar 512.0MiB, 256.0MiB/s");
  s.total = 1ull << 30;
  EXPECT_EQ(ProgressLine(s), "writing s3://b/x.tar 512.0MiB of 1.0GiB (50%), 256.0MiB/s");
}

TEST(ProgressTest, TheBoardFindsOperationsOnlyWhileTheyRun) {
  ProgressBoard board;
  EXPECT_EQ(board.Find("op-1"), nullptr);
  {
    auto p = board.Begin("op-1");
    p->SetPhase("reading", 100);
    p->Add(40);
    auto found = board.Find("op-1");
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->Read().bytes, 40u);
    EXPECT_EQ(found->Read().total, 100u);
    p->SetPhase("restoring");
    EXPECT_EQ(found->Read().bytes, 0u) << "a new phase counts from zero";
  }
  EXPECT_EQ(board.Find("op-1"), nullptr);
  auto anonymous = board.Begin("");
  EXPECT_EQ(board.Find(""), nullptr);
}

}  // namespace
}  // namespace stasis
