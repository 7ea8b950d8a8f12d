#include "jobs/process_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "test_util.h"

namespace stasis::jobs {
namespace {

using namespace test_util;

constexpr int kGonePid = 4194300;  // above any pid_max default in use

std::string Comm(int pid) {
  std::string c = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  if (!c.empty() && c.back() == '\n') c.pop_back();
  return c;
}

// Starts `sh -c script` and waits until its tree has `size` processes, the
// last `sleeps` of them already running sleep (forks show "sh" until exec).
int StartTree(const std::string& script, size_t size, size_t sleeps) {
  int pid = ForkExec({"sh", "-c", script});
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(WaitFor([&] {
    std::vector<int> tree = ProcessTree(pid);
    if (tree.size() != size) return false;
    for (size_t i = size - sleeps; i < size; ++i)
      if (Comm(tree[i]) != "sleep") return false;
    return true;
  })) << script;
  return pid;
}

TEST(ProcessTreeTest, StartTimeIdentifiesTheProcess) {
  int pid = ForkExec({"sleep", "100"});
  ASSERT_GT(pid, 0);
  auto start = ProcessStartTime(pid);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_GT(*start, 0u);
  EXPECT_EQ(*ProcessStartTime(pid), *start);
  EXPECT_GE(*start, *ProcessStartTime(::getpid()));
  EXPECT_TRUE(ProcessAlive(pid, 0));
  EXPECT_TRUE(ProcessAlive(pid, *start));
  EXPECT_FALSE(ProcessAlive(pid, *start + 1)) << "a reused pid is another process";

  ::kill(pid, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !ProcessAlive(pid, 0); })) << "a zombie is not alive";
  EXPECT_NE(ReapWithin(pid), -1);
  EXPECT_EQ(ProcessStartTime(pid).status().code(), StatusCode::kNotFound);
}

TEST(ProcessTreeTest, CommWithSpacesAndParenthesesParses) {
  TempDir dir;
  std::string odd = dir / "x) (y z";
  ASSERT_EQ(::symlink("/bin/sleep", odd.c_str()), 0);
  int pid = ForkExec({odd, "100"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] { return Comm(pid) == "x) (y z"; }));
  auto start = ProcessStartTime(pid);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, *ProcessStartTime(pid));
  EXPECT_TRUE(ProcessAlive(pid, *start));
  KillAndReap(pid);
}

TEST(ProcessTreeTest, TreeListsParentsFirst) {
  int pid = StartTree("sleep 100 & sleep 100 & wait", 3, 2);
  std::vector<int> tree = ProcessTree(pid);
  ASSERT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree[0], pid);
  EXPECT_EQ(Comm(tree[1]), "sleep");
  EXPECT_EQ(Comm(tree[2]), "sleep");

  int nested = StartTree("sh -c 'sleep 100 & wait' & wait", 3, 1);
  std::vector<int> chain = ProcessTree(nested);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(Comm(chain[2]), "sleep") << "grandchildren come after children";

  for (int root : {pid, nested}) {
    std::vector<int> all = ProcessTree(root);
    ASSERT_TRUE(SignalTree(root, SIGKILL).ok());
    EXPECT_NE(ReapWithin(root), -1);
    for (int p : all) EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(p, 0); })) << p;
  }
}

TEST(ProcessTreeTest, TerminateEndsATreeThatHonoursSigterm) {
  int pid = StartTree("sleep 100 & sleep 100 & wait", 3, 2);
  std::vector<int> tree = ProcessTree(pid);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(TerminateTree(pid, 10'000).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5))
      << "returns as soon as the tree is gone, not after the grace period";
  for (int p : tree) EXPECT_FALSE(ProcessAlive(p, 0)) << p;
  EXPECT_NE(ReapWithin(pid), -1);
}

TEST(ProcessTreeTest, TerminateEscalatesToSigkill) {
  int pid = StartTree("trap '' TERM; sleep 100 & sleep 100 & wait", 3, 2);
  std::vector<int> tree = ProcessTree(pid);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(TerminateTree(pid, 100).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  for (int p : tree) EXPECT_FALSE(ProcessAlive(p, 0)) << p;
  int status = ReapWithin(pid);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(ProcessTreeTest, TerminateAlsoKillsOrphanedDescendants) {
  // The root dies on SIGTERM; its child ignores it and is re-parented away.
  int pid = StartTree("(trap '' TERM; exec sleep 100) & wait", 2, 1);
  std::vector<int> tree = ProcessTree(pid);
  ASSERT_EQ(tree.size(), 2u);
  ASSERT_TRUE(TerminateTree(pid, 200).ok());
  EXPECT_FALSE(ProcessAlive(tree[1], 0));
  EXPECT_NE(ReapWithin(pid), -1);
}

TEST(ProcessTreeTest, TerminateKillsAStoppedTree) {
  int pid = StartTree("sleep 100 & wait", 2, 1);
  std::vector<int> tree = ProcessTree(pid);
  ASSERT_TRUE(SignalTree(pid, SIGSTOP).ok());
  ASSERT_TRUE(TerminateTree(pid, 50).ok());
  for (int p : tree) EXPECT_FALSE(ProcessAlive(p, 0)) << p;
  EXPECT_NE(ReapWithin(pid), -1);
}

TEST(ProcessTreeTest, GonePidsAreNotFound) {
  EXPECT_EQ(ProcessStartTime(kGonePid).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(ProcessAlive(kGonePid, 0));
  EXPECT_FALSE(ProcessAlive(0, 0));
  EXPECT_FALSE(ProcessAlive(-1, 0));
  EXPECT_TRUE(ProcessTree(kGonePid).empty());
  EXPECT_TRUE(ProcessTree(0).empty());
  EXPECT_EQ(SignalTree(kGonePid, SIGTERM).code(), StatusCode::kNotFound);
  EXPECT_TRUE(TerminateTree(kGonePid, 10).ok()) << "already gone is success";
}

// The race behind a "job kill" that failed in CI: /proc/PID/stat opened,
// then the process reaped, then read. The read fails with ESRCH, which must
// come back as a Status (an ifstream read this way threw out of the RPC).
TEST(ProcessTreeTest, ReadingTheStatOfAProcessReapedMeanwhileIsAnErrorNotAThrow) {
  int pid = ForkExec({"sleep", "30"});
  ASSERT_GT(pid, 0);
  int fd = ::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  Result<std::string> text = ReadProcFile(fd);
  ::close(fd);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("No such process"), std::string::npos)
      << text.status().message();
}

TEST(ProcessTreeTest, ReadProcFileReadsAWholeFile) {
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Result<std::string> text = ReadProcFile(fd);
  ::close(fd);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_NE(text->find(") "), std::string::npos) << *text;
  EXPECT_EQ(text->back(), '\n');
}

}  // namespace
}  // namespace stasis::jobs
