#include "jobs/registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace stasis::jobs {
namespace {

namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-registry-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/stasis.db";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Registry> Open() {
    auto r = Registry::Open(path_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }
  std::string dir_, path_;
};

TEST_F(RegistryTest, JobsRoundTripAndSurviveReopen) {
  {
    auto reg = Open();
    JobRecord j;
    j.id = "train-1";
    j.pid = 1234;
    j.pid_start_time = 99;
    j.spec.argv = {"sh", "-c", "echo 'it''s' \"quoted\"; \xe2\x9c\x93"};
    j.spec.env = {"A=1"};
    j.spec.pid_namespace = true;
    j.created = 10;
    ASSERT_TRUE(reg->PutJob(j).ok());
    j.id = "train-2";
    j.created = 20;
    j.status = JobStatus::kDumped;
    ASSERT_TRUE(reg->PutJob(j).ok());
  }
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto reg = Open();
  auto got = reg->GetJob("train-1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->pid, 1234);
  EXPECT_EQ((*got)->spec.argv[2], "echo 'it''s' \"quoted\"; \xe2\x9c\x93");
  EXPECT_TRUE((*got)->spec.pid_namespace);
  auto all = reg->ListJobs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].status, JobStatus::kDumped);
  auto missing = reg->GetJob("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(RegistryTest, CheckpointsNewestFirstAndDeletedWithTheJob) {
  auto reg = Open();
  JobRecord j;
  j.id = "a";
  ASSERT_TRUE(reg->PutJob(j).ok());
  for (int i = 0; i < 3; ++i) {
    CheckpointRecord c;
    c.job_id = "a";
    c.location = "/ckpt/" + std::to_string(i);
    c.created = 100 + i;
    c.size = 1000 + i;
    ASSERT_TRUE(reg->AddCheckpoint(c).ok());
  }
  CheckpointRecord other;
  other.job_id = "b";
  other.location = "/ckpt/b";
  ASSERT_TRUE(reg->AddCheckpoint(other).ok());
  auto latest = reg->LatestCheckpoint("a");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->location, "/ckpt/2");
  auto list = reg->ListCheckpoints("a");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[2].size, 1000u);
  EXPECT_EQ(reg->ListCheckpoints("")->size(), 4u);
  ASSERT_TRUE(reg->RemoveCheckpoint("/ckpt/2").ok());
  EXPECT_EQ((*reg->LatestCheckpoint("a"))->location, "/ckpt/1");
  ASSERT_TRUE(reg->DeleteJob("a").ok());
  EXPECT_TRUE(reg->ListCheckpoints("a")->empty());
  EXPECT_EQ(reg->ListCheckpoints("")->size(), 1u);
}

TEST_F(RegistryTest, UnopenableDatabaseIsOneSentence) {
  auto r = Registry::Open("/proc/stasis/nope.db");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.status().message().empty());
}

}  // namespace
}  // namespace stasis::jobs
