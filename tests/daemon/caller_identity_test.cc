// PeerOf reads who is on the other end of a UNIX socket from the kernel
// (SO_PEERCRED, SO_PEERGROUPS): this process over a socketpair, and a child
// that became another user before it connected. The child half needs root
// (to change its ids), which the CI's unit tests have.
#include "daemon/caller_identity.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace stasis::daemon {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kChildUid = 4242;
constexpr gid_t kChildGid = 4242;
constexpr gid_t kChildGroup = 4243;

bool Contains(const std::vector<gid_t>& v, gid_t g) {
  return std::find(v.begin(), v.end(), g) != v.end();
}

TEST(PeerOfTest, ASocketpairReportsThisProcess) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0) << std::strerror(errno);
  UniqueFd a(fds[0]);
  UniqueFd b(fds[1]);

  auto caller = PeerOf(a.get());
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->uid, ::geteuid());
  EXPECT_EQ(caller->gid, ::getegid());
  EXPECT_EQ(caller->pid, ::getpid());

  // The supplementary groups, without the primary one.
  int n = ::getgroups(0, nullptr);
  ASSERT_GE(n, 0);
  std::vector<gid_t> mine(static_cast<size_t>(n));
  ASSERT_EQ(::getgroups(n, mine.data()), n);
  std::vector<gid_t> expected;
  for (gid_t g : mine)
    if (g != ::getegid()) expected.push_back(g);
  std::vector<gid_t> got = caller->groups;
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(Contains(caller->groups, caller->gid));

  // Either end tells the same.
  auto other_end = PeerOf(b.get());
  ASSERT_TRUE(other_end.ok()) << other_end.status().ToString();
  EXPECT_EQ(other_end->uid, caller->uid);
  EXPECT_EQ(other_end->pid, caller->pid);
}

TEST(PeerOfTest, NotASocketIsAnError) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  auto caller = PeerOf(r.get());
  ASSERT_FALSE(caller.ok());
  EXPECT_NE(caller.status().message().find("cannot read the caller's credentials"),
            std::string::npos)
      << caller.status().ToString();
  EXPECT_FALSE(PeerOf(-1).ok());
}

// A listening socket in a temp dir that an unprivileged child can reach.
class PeerOfOtherUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user";
    char tmpl[] = "/tmp/stasis-peer-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    path_ = dir_ + "/gate.sock";
    listener_.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(listener_.valid()) << std::strerror(errno);
    sockaddr_un addr = Address();
    ASSERT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ASSERT_EQ(::chmod(path_.c_str(), 0777), 0);
    ASSERT_EQ(::listen(listener_.get(), 4), 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  sockaddr_un Address() const {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    return addr;
  }

  // Forks a child that takes uid and gid kChildUid/kChildGid and the
  // supplementary `groups`, connects, reports on a pipe, and waits for the
  // connection to close. Returns the accepted connection.
  UniqueFd ConnectAsChild(const std::vector<gid_t>& groups) {
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) return UniqueFd();
    const sockaddr_un addr = Address();
    child_ = ::fork();
    if (child_ == 0) {
      // Only async-signal-safe calls from here on.
      ::close(status_pipe[0]);
      char verdict = 'c';
      int fd = -1;
      if (::setgroups(groups.size(), groups.data()) != 0) {
        verdict = 'G';
      } else if (::setgid(kChildGid) != 0) {
        verdict = 'g';
      } else if (::setuid(kChildUid) != 0) {
        verdict = 'u';
      } else if ((fd = ::socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
                 ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        verdict = 'n';
      }
      (void)!::write(status_pipe[1], &verdict, 1);
      ::close(status_pipe[1]);
      if (verdict != 'c') ::_exit(1);
      char byte;
      while (::read(fd, &byte, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(status_pipe[1]);
    UniqueFd status(status_pipe[0]);
    EXPECT_GT(child_, 0) << std::strerror(errno);
    if (child_ <= 0) return UniqueFd();
    char verdict = 0;
    ssize_t n = ::read(status.get(), &verdict, 1);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(verdict, 'c') << "G: setgroups, g: setgid, u: setuid, n: connect failed";
    if (n != 1 || verdict != 'c') return UniqueFd();
    // The connection is queued: accept does not wait.
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_TRUE(conn.valid()) << std::strerror(errno);
    return conn;
  }

  // Closes the connection and expects the child to exit cleanly.
  void FinishChild(UniqueFd conn) {
    conn.Reset();
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child_, &wstatus, 0), child_);
    child_ = -1;
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  }

  std::string dir_;
  std::string path_;
  UniqueFd listener_;
  pid_t child_ = -1;
};

TEST_F(PeerOfOtherUserTest, AChildThatBecameAnotherUserIsReportedAsThatUser) {
  UniqueFd conn = ConnectAsChild({kChildGroup});
  ASSERT_TRUE(conn.valid());
  const pid_t child = child_;

  auto caller = PeerOf(conn.get());
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->uid, kChildUid);
  EXPECT_EQ(caller->gid, kChildGid);
  EXPECT_EQ(caller->pid, child);
  EXPECT_TRUE(Contains(caller->groups, kChildGroup));
  EXPECT_FALSE(Contains(caller->groups, kChildGid));
  EXPECT_FALSE(Contains(caller->groups, 0));
  EXPECT_FALSE(caller->is_root());
  EXPECT_TRUE(caller->InGroup(kChildGroup));
  EXPECT_TRUE(caller->InGroup(kChildGid));
  EXPECT_FALSE(caller->InGroup(0));
  FinishChild(std::move(conn));
}

// More groups than PeerOf's first buffer holds (64), the primary one among
// them: all are read, and the primary one is not listed again.
TEST_F(PeerOfOtherUserTest, ManySupplementaryGroupsAreAllRead) {
  std::vector<gid_t> groups = {kChildGid};
  for (gid_t g = 5000; g < 5100; ++g) groups.push_back(g);
  UniqueFd conn = ConnectAsChild(groups);
  ASSERT_TRUE(conn.valid());

  auto caller = PeerOf(conn.get());
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->uid, kChildUid);
  EXPECT_EQ(caller->gid, kChildGid);
  std::vector<gid_t> got = caller->groups;
  std::sort(got.begin(), got.end());
  std::vector<gid_t> expected(groups.begin() + 1, groups.end());
  EXPECT_EQ(got, expected);
  FinishChild(std::move(conn));
}

}  // namespace
}  // namespace stasis::daemon
