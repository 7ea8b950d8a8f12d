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

// What storage acknowledged is shown beside what it was handed, summed over
// the writers reporting it, and only while they report it.
TEST(ProgressTest, StoredBytesComeFromTheirSourcesWhileTheyLive) {
  Progress p;
  p.SetPhase("writing s3://b/x.tar");
  p.Add(96ull << 20);
  EXPECT_FALSE(p.Read().has_stored);
  uint64_t a = 16ull << 20, b = 32ull << 20;
  int ida = p.AddStoredSource([&a] { return a; });
  int idb = p.AddStoredSource([&b] { return b; });
  Progress::Snapshot s = p.Read();
  EXPECT_TRUE(s.has_stored);
  EXPECT_EQ(s.stored, 48ull << 20);
  s.phase_seconds = 0;
  EXPECT_EQ(ProgressLine(s), "writing s3://b/x.tar 96.0MiB, 48.0MiB stored");
  a += 16ull << 20;  // a part confirmed meanwhile
  EXPECT_EQ(p.Read().stored, 64ull << 20);
  p.RemoveStoredSource(ida);
  EXPECT_EQ(p.Read().stored, 32ull << 20);
  p.SetPhase("committing s3://b/x.tar");
  s = p.Read();
  EXPECT_EQ(ProgressLine(s), "committing s3://b/x.tar: 32.0MiB stored");
  p.RemoveStoredSource(idb);
  EXPECT_FALSE(p.Read().has_stored);
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
