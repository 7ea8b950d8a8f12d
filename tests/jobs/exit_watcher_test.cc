#include "jobs/exit_watcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "jobs/process_tree.h"
#include "jobs/spawn.h"
#include "test_util.h"

namespace stasis::jobs {
namespace {

using namespace test_util;
using std::chrono::milliseconds;

constexpr int kGonePid = 4194300;

// Collects callbacks; Wait() blocks (bounded) until a pid is reported.
class Recorder {
 public:
  ExitWatcher::Callback Callback() {
    return [this](int pid, ExitInfo info) {
      std::lock_guard lock(mu_);
      seen_[pid] = info;
      ++calls_[pid];
      cv_.notify_all();
    };
  }
  bool Wait(int pid, milliseconds limit = milliseconds(5000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return seen_.count(pid) > 0; });
  }
  ExitInfo Info(int pid) {
    std::lock_guard lock(mu_);
    return seen_[pid];
  }
  int Calls(int pid) {
    std::lock_guard lock(mu_);
    return calls_[pid];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, ExitInfo> seen_;
  std::map<int, int> calls_;
};

class ExitWatcherTest : public ::testing::Test {
 protected:
  int Spawn(std::vector<std::string> argv) {
    JobSpec s;
    s.argv = std::move(argv);
    s.log_path = dir_ / "log";
    auto pid = SpawnJob(s);
    EXPECT_TRUE(pid.ok()) << pid.status().ToString();
    return pid.ok() ? *pid : -1;
  }
  TempDir dir_;
  Recorder rec_;
};

TEST_F(ExitWatcherTest, ReportsExitCodeAndReapsTheChild) {
  ExitWatcher w;
  int pid = Spawn({"sh", "-c", "exit 7"});
  ASSERT_TRUE(w.Watch(pid, rec_.Callback()));
  ASSERT_TRUE(rec_.Wait(pid));
  EXPECT_TRUE(rec_.Info(pid).known);
  EXPECT_EQ(rec_.Info(pid).exit_code, 7);
  EXPECT_EQ(rec_.Info(pid).signal, 0);
  EXPECT_EQ(OurChildren().count(pid), 0u) << "reaped";
  EXPECT_EQ(rec_.Calls(pid), 1);
}

TEST_F(ExitWatcherTest, ReportsTheKillingSignal) {
  ExitWatcher w;
  int pid = Spawn({"sleep", "100"});
  ASSERT_TRUE(w.Watch(pid, rec_.Callback()));
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(rec_.Wait(pid));
  EXPECT_TRUE(rec_.Info(pid).known);
  EXPECT_EQ(rec_.Info(pid).signal, SIGKILL);
}

TEST_F(ExitWatcherTest, ChildThatEndedBeforeWatchIsStillReported) {
  ExitWatcher w;
  int pid = Spawn({"sh", "-c", "exit 3"});
  ASSERT_TRUE(WaitFor([&] { return !ProcessAlive(pid, 0); }));  // a zombie now
  ASSERT_TRUE(w.Watch(pid, rec_.Callback()));
  ASSERT_TRUE(rec_.Wait(pid));
  EXPECT_TRUE(rec_.Info(pid).known);
  EXPECT_EQ(rec_.Info(pid).exit_code, 3);
}

TEST_F(ExitWatcherTest, GonePidIsReportedUnknownQuickly) {
  ExitWatcher w;
  ASSERT_TRUE(w.Watch(kGonePid, rec_.Callback()));
  ASSERT_TRUE(rec_.Wait(kGonePid, milliseconds(1000)));
  EXPECT_FALSE(rec_.Info(kGonePid).known);
  EXPECT_FALSE(w.Watch(0, rec_.Callback()));
  EXPECT_FALSE(w.Watch(-5, rec_.Callback()));
}

TEST_F(ExitWatcherTest, NonChildIsReportedUnknownWhenItEnds) {
  // A grandchild, orphaned at once: someone else will reap it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int child = ::fork();
  if (child == 0) {
    int grandchild = ::fork();
    if (grandchild == 0) {
      ::execlp("sleep", "sleep", "0.2", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    (void)!::write(fds[1], &grandchild, sizeof grandchild);
    ::_exit(0);
  }
  ::close(fds[1]);
  int grandchild = 0;
  ASSERT_EQ(::read(fds[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  ::close(fds[0]);
  ReapWithin(child);

  ExitWatcher w;
  ASSERT_TRUE(w.Watch(grandchild, rec_.Callback()));
  ASSERT_TRUE(rec_.Wait(grandchild));
  EXPECT_FALSE(rec_.Info(grandchild).known);
  EXPECT_FALSE(ProcessAlive(grandchild, 0));
}

TEST_F(ExitWatcherTest, DestructorStopsWithoutCallingBack) {
  int pid = Spawn({"sleep", "100"});
  auto t0 = std::chrono::steady_clock::now();
  {
    ExitWatcher w;
    ASSERT_TRUE(w.Watch(pid, rec_.Callback()));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
  KillAndReap(pid);
  EXPECT_EQ(rec_.Calls(pid), 0);
}

TEST_F(ExitWatcherTest, ManyJobsInTurn) {
  ExitWatcher w;
  for (int i = 0; i < 20; ++i) {
    int pid = Spawn({"sh", "-c", "exit " + std::to_string(i)});
    ASSERT_TRUE(w.Watch(pid, rec_.Callback()));
    ASSERT_TRUE(rec_.Wait(pid));
    EXPECT_EQ(rec_.Info(pid).exit_code, i);
  }
}

}  // namespace
}  // namespace stasis::jobs
