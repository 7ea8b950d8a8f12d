#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "jobs/exit_watcher.h"
#include "jobs/process_tree.h"
#include "jobs/spawn.h"

namespace stasis::jobs {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitFor(const std::function<bool()>& cond, int ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-jobs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  JobSpec Spec(std::vector<std::string> argv) {
    JobSpec s;
    s.argv = std::move(argv);
    s.log_path = dir_ + "/log";
    s.pid_namespace = true;
    return s;
  }
  std::string dir_;
};

TEST_F(ProcessTest, SpawnRunsInItsOwnPidNamespace) {
  auto pid = SpawnJob(Spec({"sh", "-c", "echo pid $$; exec sleep 30"}));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir_ + "/log").find("pid 1") != std::string::npos; }));
  EXPECT_NE(fs::read_symlink("/proc/self/ns/pid"),
            fs::read_symlink("/proc/" + std::to_string(*pid) + "/ns/pid"));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ProcessAlive(*pid, *ProcessStartTime(*pid)));
  EXPECT_FALSE(ProcessAlive(*pid, *ProcessStartTime(*pid) + 1)) << "a reused pid is not our job";
  ASSERT_TRUE(TerminateTree(*pid, 200).ok());
  ::waitpid(*pid, nullptr, 0);
  EXPECT_FALSE(ProcessAlive(*pid, 0));
}

TEST_F(ProcessTest, SpawnOfMissingProgramFailsClearly) {
  auto pid = SpawnJob(Spec({"/no/such/program", "x"}));
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("/no/such/program"), std::string::npos);
  EXPECT_NE(pid.status().message().find("No such file"), std::string::npos);
  EXPECT_FALSE(SpawnJob(Spec({})).ok());
}

TEST_F(ProcessTest, TreeListsAndTerminatesDescendants) {
  auto pid = SpawnJob(Spec({"sh", "-c", "sleep 100 & sleep 100 & wait"}));
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(WaitFor([&] { return ProcessTree(*pid).size() == 3; }));
  std::vector<int> tree = ProcessTree(*pid);
  EXPECT_EQ(tree.front(), *pid);
  ASSERT_TRUE(TerminateTree(*pid, 100).ok());
  ::waitpid(*pid, nullptr, 0);
  for (int p : tree) EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(p, 0); })) << p;
}

TEST_F(ProcessTest, ExitWatcherReportsCodesAndSignals) {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int, ExitInfo> seen;
  ExitWatcher w;
  auto record = [&](int pid, ExitInfo info) {
    std::lock_guard lock(mu);
    seen[pid] = info;
    cv.notify_all();
  };
  auto exits7 = SpawnJob(Spec({"sh", "-c", "exit 7"}));
  auto killed = SpawnJob(Spec({"sleep", "100"}));
  ASSERT_TRUE(exits7.ok() && killed.ok());
  ASSERT_TRUE(w.Watch(*exits7, record));
  ASSERT_TRUE(w.Watch(*killed, record));
  ::kill(*killed, SIGKILL);
  // A pid that is not ours and already gone.
  ASSERT_TRUE(w.Watch(4194300, record));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] {
    return seen.count(*exits7) && seen.count(*killed) && seen.count(4194300);
  }));
  EXPECT_TRUE(seen[*exits7].known);
  EXPECT_EQ(seen[*exits7].exit_code, 7);
  EXPECT_TRUE(seen[*killed].known);
  EXPECT_EQ(seen[*killed].signal, SIGKILL);
  EXPECT_FALSE(seen[4194300].known);
}

TEST(ProcessTreeTest, GonePidsAreNotFound) {
  EXPECT_FALSE(ProcessStartTime(4194300).ok());
  EXPECT_FALSE(ProcessAlive(4194300, 0));
  EXPECT_TRUE(ProcessTree(4194300).empty());
  EXPECT_TRUE(TerminateTree(4194300, 10).ok());
}

}  // namespace
}  // namespace stasis::jobs
