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

#include "criu/engine.h"

namespace stasis::criu {
namespace {

namespace fs = std::filesystem;

long ReadCount(const std::string& path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return v;
}

char State(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  size_t close = s.rfind(')');
  return close == std::string::npos ? '?' : s[close + 2];
}

template <class F>
bool WaitFor(F cond, int ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

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
  pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    // stdio to /dev/null: CRIU restores open files only at their dumped size,
    // and the runner's log would have grown meanwhile.
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    // Nor any descriptor the test runner leaked to us (ctest's own log).
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execlp("sh", "sh", "-c",
             ("i=0; while :; do i=$((i+1)); echo $i > " + counter + "; sleep 0.05; done").c_str(),
             nullptr);
    ::_exit(127);
  }
  kill_.push_back(child);
  ASSERT_TRUE(WaitFor([&] { return ReadCount(counter) >= 5; }));

  std::string images = dir_ + "/images";
  fs::create_directories(images);
  DumpOptions d;
  d.pid = child;
  d.images_dir = images;
  Status st = engine_->Dump(d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(State(child), 'T') << "dump must leave the tree stopped";
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
