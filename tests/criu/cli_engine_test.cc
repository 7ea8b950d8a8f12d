// The engine against the real CRIU: dump leaves the tree stopped, restore
// brings it back counting from where it was.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../common/session_process.h"
#include "criu/engine.h"

namespace stasis::criu {
namespace {

namespace fs = std::filesystem;
using testing::ReadCount;
using testing::WaitFor;

class CliEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = OpenEngine("");
    if (!engine.ok()) GTEST_SKIP() << engine.status().ToString();
    engine_ = std::move(engine).value();
    char tmpl[] = "/tmp/stasis-criu-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (int p : kill_) ::kill(-p, SIGKILL);
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
  std::unique_ptr<Engine> engine_;
  std::string dir_;
  std::vector<int> kill_;
};

TEST_F(CliEngineTest, VersionAndCheck) {
  auto v = engine_->Version();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  auto c = engine_->Check();
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(CliEngineTest, DumpLeavesStoppedAndRestoreContinues) {
  std::string counter = dir_ + "/count";
  int child = testing::SpawnCounter(counter);
  kill_.push_back(child);
  ASSERT_TRUE(WaitFor([&] { return ReadCount(counter) >= 5; }));

  std::string images = dir_ + "/images";
  fs::create_directories(images);
  DumpOptions d;
  d.pid = child;
  d.images_dir = images;
  Status st = engine_->Dump(d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(testing::ProcState(child), 'T') << "dump must leave the tree stopped";
  long at_dump = ReadCount(counter);
  // The whole session: the loop's `sleep` children too, or their pids
  // would still be taken when CRIU restores them.
  ::kill(-child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(WaitFor([&] { return ::kill(-child, 0) != 0; })) << "old tree still there";

  RestoreOptions r;
  r.images_dir = images;
  auto pid = engine_->Restore(r);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  kill_.push_back(*pid);
  EXPECT_EQ(*pid, child) << "without a PID namespace CRIU restores the same pid";
  EXPECT_TRUE(WaitFor([&] { return ReadCount(counter) >= at_dump + 5; }));
}

TEST_F(CliEngineTest, DumpOfMissingPidIsOneSentence) {
  fs::create_directories(dir_ + "/img");
  DumpOptions d;
  d.pid = 4194300;
  d.images_dir = dir_ + "/img";
  Status st = engine_->Dump(d);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("4194300"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace stasis::criu
