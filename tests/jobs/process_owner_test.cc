// Runs as root (as in CI): children switch to uid 4242 the way a user's
// processes would be, and the check must see every task of the tree.
#include "jobs/process_owner.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "jobs/process_tree.h"
#include "test_util.h"

namespace stasis::jobs {
namespace {

using namespace test_util;

constexpr uid_t kUser = 4242;
constexpr gid_t kShared = 4300;
constexpr int kGonePid = 4194300;  // above any pid_max default in use

Caller User(uid_t uid = kUser, std::vector<gid_t> groups = {}) {
  return Caller{uid, uid, std::move(groups), 0};
}

// In a forked child: becomes uid/gid `id` (all of real, effective, saved),
// the way login makes a user's shell, then dumpable as an exec would leave it.
void BecomeUser(uid_t id, gid_t gid) {
  if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
      ::setresuid(id, id, id) != 0)
    ::_exit(120);
  ::prctl(PR_SET_DUMPABLE, 1);
}

// A forked child that runs `setup`, reports ready, and sleeps until killed.
// Killed and reaped (with the tree under it) when the test ends.
class Child {
 public:
  explicit Child(const std::function<void()>& setup) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      setup();
      if (::write(fds[1], "r", 1) != 1) ::_exit(121);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    char c = 0;
    ready_ = ::poll(&p, 1, 5000) == 1 && ::read(fds[0], &c, 1) == 1;
    ::close(fds[0]);
  }
  ~Child() {
    if (pid_ <= 0) return;
    for (int p : ProcessTree(pid_))
      if (p != pid_) ::kill(p, SIGKILL);
    KillAndReap(pid_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int pid() const { return pid_; }
  bool ready() const { return ready_; }

 private:
  int pid_ = -1;
  bool ready_ = false;
};

void ExpectRefused(const Status& st, const std::string& words) {
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.ToString();
}

TEST(ProcessOwnerTest, OwnProcessPassesOthersAreRefused) {
  Child child([] { BecomeUser(kUser, kUser); });
  ASSERT_TRUE(child.ready());
  EXPECT_TRUE(CheckTreeOwnedBy(child.pid(), User()).ok())
      << CheckTreeOwnedBy(child.pid(), User()).ToString();
  EXPECT_TRUE(CheckTreeOwnedBy(child.pid(), RootCaller()).ok());

  Status st = CheckTreeOwnedBy(child.pid(), User(4243));
  ExpectRefused(st, "belongs to another user");
  EXPECT_EQ(st.message(), "process " + std::to_string(child.pid()) +
                              " belongs to another user; you may checkpoint only your own "
                              "processes");

  ExpectRefused(CheckTreeOwnedBy(1, User()), "process 1 belongs to another user");
  EXPECT_TRUE(CheckTreeOwnedBy(1, RootCaller()).ok());
}

TEST(ProcessOwnerTest, GroupMustBeTheCallers) {
  Child child([] { BecomeUser(kUser, kShared); });
  ASSERT_TRUE(child.ready());
  ExpectRefused(CheckTreeOwnedBy(child.pid(), User()), "runs with group 4300, which is not yours");
  EXPECT_TRUE(CheckTreeOwnedBy(child.pid(), User(kUser, {kShared})).ok());
}

TEST(ProcessOwnerTest, EveryDescendantIsChecked) {
  // The child forks a grandchild that stays root, then becomes the user.
  Child child([] {
    int grandchild = ::fork();
    if (grandchild == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) ::pause();
    }
    BecomeUser(kUser, kUser);
  });
  ASSERT_TRUE(child.ready());
  ASSERT_TRUE(WaitFor([&] { return ProcessTree(child.pid()).size() == 2; }));
  int grandchild = ProcessTree(child.pid())[1];
  ExpectRefused(CheckTreeOwnedBy(child.pid(), User()),
                "process " + std::to_string(grandchild) + " belongs to another user");
}

TEST(ProcessOwnerTest, EveryThreadIsChecked) {
  // One thread takes uid 4243 for itself (raw syscall: only that thread),
  // then the rest of the process becomes 4242.
  Child child([] {
    std::thread([] {
      if (::syscall(SYS_setresuid, 4243, 4243, 4243) != 0) ::_exit(122);
      for (;;) ::pause();
    }).detach();
    ::usleep(100'000);  // let the thread switch before the process does
    if (::syscall(SYS_setresgid, kUser, kUser, kUser) != 0 ||
        ::syscall(SYS_setresuid, kUser, kUser, kUser) != 0)
      ::_exit(120);
    ::prctl(PR_SET_DUMPABLE, 1);
  });
  ASSERT_TRUE(child.ready());
  Status st = CheckTreeOwnedBy(child.pid(), User());
  ExpectRefused(st, "belongs to another user");
  EXPECT_NE(st.message().find("thread "), std::string::npos) << st.ToString();
}

TEST(ProcessOwnerTest, CapabilitiesAreRefused) {
  // KEEPCAPS: the permitted set survives the switch to uid 4242.
  Child child([] {
    ::prctl(PR_SET_KEEPCAPS, 1);
    BecomeUser(kUser, kUser);
  });
  ASSERT_TRUE(child.ready());
  ExpectRefused(CheckTreeOwnedBy(child.pid(), User()), "has elevated capabilities");
}

TEST(ProcessOwnerTest, NonDumpableProcessIsRefused) {
  // What a process that read root's secrets and then dropped to the user
  // looks like (the kernel clears the flag on the switch; made explicit here
  // so fs.suid_dumpable cannot change the test).
  Child child([] {
    BecomeUser(kUser, kUser);
    ::prctl(PR_SET_DUMPABLE, 0);
  });
  ASSERT_TRUE(child.ready());
  ExpectRefused(CheckTreeOwnedBy(child.pid(), User()), "is not dumpable");
}

TEST(ProcessOwnerTest, ZombieOfTheCallerIsStillTheCallers) {
  int pid = ::fork();
  if (pid == 0) {
    BecomeUser(kUser, kUser);
    ::_exit(0);
  }
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] { return ProcessTree(pid).size() == 1 && !ProcessAlive(pid, 0); }));
  EXPECT_TRUE(CheckTreeOwnedBy(pid, User()).ok()) << CheckTreeOwnedBy(pid, User()).ToString();
  EXPECT_NE(ReapWithin(pid), -1);
}

TEST(ProcessOwnerTest, VanishedProcessIsNotFound) {
  int pid = 0;
  {
    Child child([] { BecomeUser(kUser, kUser); });
    ASSERT_TRUE(child.ready());
    pid = child.pid();
  }
  EXPECT_EQ(CheckTreeOwnedBy(pid, User()).code(), StatusCode::kNotFound);
  EXPECT_EQ(CheckTreeOwnedBy(kGonePid, User()).code(), StatusCode::kNotFound);
  EXPECT_EQ(CheckTreeOwnedBy(kGonePid, User()).message(),
            "no process with PID " + std::to_string(kGonePid));
  EXPECT_EQ(CheckTreeOwnedBy(0, User()).code(), StatusCode::kNotFound);
}

TEST(ProcessOwnerTest, TreeChangingDuringChecksNeverCrashes) {
  // Short-lived grandchildren appear and vanish while the tree is checked;
  // the forking stops by itself, so that the child reaps every one of them.
  Child child([] {
    BecomeUser(kUser, kUser);
    std::thread([] {
      auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (std::chrono::steady_clock::now() < end) {
        int p = ::fork();
        if (p == 0) ::_exit(0);
        ::waitpid(p, nullptr, 0);
      }
    }).detach();
  });
  ASSERT_TRUE(child.ready());
  for (int i = 0; i < 300; ++i) {
    Status st = CheckTreeOwnedBy(child.pid(), User());
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_TRUE(WaitFor([&] { return ProcessTree(child.pid()).size() == 1; }));
}

}  // namespace
}  // namespace stasis::jobs
