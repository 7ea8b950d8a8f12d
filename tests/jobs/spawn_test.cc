#include "jobs/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "jobs/process_tree.h"
#include "test_util.h"

namespace stasis::jobs {
namespace {

using namespace test_util;
namespace fs = std::filesystem;

class SpawnTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (int pid : started_) KillAndReap(pid);
  }
  JobSpec Spec(std::vector<std::string> argv) {
    JobSpec s;
    s.argv = std::move(argv);
    s.log_path = log_;
    s.pid_namespace = true;
    return s;
  }
  // Spawns and remembers the pid so that TearDown never leaves it behind.
  int Spawn(const JobSpec& spec) {
    auto pid = SpawnJob(spec);
    EXPECT_TRUE(pid.ok()) << pid.status().ToString();
    if (!pid.ok()) return -1;
    started_.push_back(*pid);
    return *pid;
  }
  // Runs a job to completion and returns its log.
  std::string RunToEnd(const JobSpec& spec) {
    int pid = Spawn(spec);
    EXPECT_NE(ReapWithin(pid), -1) << "job did not end";
    started_.clear();
    return ReadFile(log_);
  }
  bool LogHas(const std::string& text) { return ReadFile(log_).find(text) != std::string::npos; }

  TempDir dir_;
  std::string log_ = dir_ / "job.log";
  std::vector<int> started_;
};

TEST_F(SpawnTest, JobIsInitOfItsOwnPidNamespaceAndSessionLeader) {
  int pid = Spawn(Spec({"sh", "-c", "echo $$; sleep 30"}));
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] { return ReadFile(log_) == "1\n"; })) << ReadFile(log_);
  EXPECT_NE(fs::read_symlink("/proc/self/ns/pid"),
            fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/pid"));
  EXPECT_EQ(::getsid(pid), pid);
  EXPECT_EQ(::getpgid(pid), pid);
  EXPECT_EQ(OurChildren().count(pid), 1u) << "the caller is the parent and reaps it";

  ASSERT_TRUE(TerminateTree(pid, 2000).ok());
  EXPECT_NE(ReapWithin(pid), -1);
  started_.clear();
}

TEST_F(SpawnTest, InitWithoutHandlerNeedsSigkill) {
  // pid 1 of a namespace ignores SIGTERM unless it installed a handler.
  int pid = Spawn(Spec({"sleep", "30"}));
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(TerminateTree(pid, 50).ok());
  int status = ReapWithin(pid);
  started_.clear();
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(SpawnTest, LogIsAppendedAndOwnerOnly) {
  { std::ofstream(log_) << "before\n"; }
  ::chmod(log_.c_str(), 0600);
  EXPECT_EQ(RunToEnd(Spec({"sh", "-c", "echo out; echo err >&2"})), "before\nout\nerr\n");

  fs::remove(log_);
  mode_t old = ::umask(0);
  RunToEnd(Spec({"true"}));
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(log_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SpawnTest, CwdEnvAndStdinAreSetUp) {
  fs::create_directory(dir_ / "work dir");
  JobSpec spec =
      Spec({"sh", "-c", "pwd; echo \"FOO=$FOO HOME=${HOME-unset}\"; read x; echo read=$?"});
  spec.cwd = dir_ / "work dir";
  spec.env = {"FOO=bar baz", "PATH=/usr/bin:/bin"};
  EXPECT_EQ(RunToEnd(spec), spec.cwd + "\nFOO=bar baz HOME=unset\nread=1\n");
}

// The daemon's environment holds its credentials: a job that was sent no
// environment gets a PATH and nothing else of ours.
TEST_F(SpawnTest, EmptyEnvGetsOnlyAPath) {
  ::setenv("STASIS_SPAWN_TEST", "inherited", 1);
  std::string out = RunToEnd(Spec({"/usr/bin/env"}));
  ::unsetenv("STASIS_SPAWN_TEST");
  EXPECT_EQ(out.find("STASIS_SPAWN_TEST"), std::string::npos) << out;
  EXPECT_EQ(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
}

// A job of a non-root owner runs with the owner's ids and no_new_privs.
TEST_F(SpawnTest, NonRootJobRunsAsItsOwner) {
  JobSpec spec = Spec({"sh", "-c", "id -u; id -g; id -G; grep NoNewPrivs /proc/self/status"});
  spec.uid = 4242;
  spec.gid = 4243;
  spec.groups = {4244};
  spec.cwd = "/";
  EXPECT_EQ(RunToEnd(spec), "4242\n4243\n4243 4244\nNoNewPrivs:\t1\n");
}

TEST_F(SpawnTest, NonRootJobCannotEnterADirectoryItCannotReach) {
  JobSpec spec = Spec({"true"});
  spec.uid = 4242;
  spec.gid = 4242;
  spec.cwd = "/root";
  ::chmod("/root", 0700);
  auto pid = SpawnJob(spec);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("cannot enter directory /root"), std::string::npos)
      << pid.status().message();
}

TEST_F(SpawnTest, OurFdsSignalMaskAndIgnoredSignalsAreNotInherited) {
  int leak = ::open("/dev/null", O_RDONLY);  // deliberately not CLOEXEC
  ASSERT_GE(leak, 0);
  ASSERT_EQ(::dup2(leak, 200), 200);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  struct sigaction ign {
  }, old_usr2{};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGUSR2, &ign, &old_usr2), 0);

  std::string log = RunToEnd(
      Spec({"sh", "-c",
            "ls /proc/self/fd | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign)' /proc/self/status"}));

  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::close(200);
  ::close(leak);
  // ls sees stdin, stdout, stderr and the directory it is reading.
  EXPECT_EQ(log.substr(0, log.find('\n')), "0 1 2 3 ") << log;
  EXPECT_NE(log.find("SigBlk:\t0000000000000000"), std::string::npos) << log;
  EXPECT_NE(log.find("SigIgn:\t0000000000000000"), std::string::npos) << log;
}

TEST_F(SpawnTest, MissingProgramFailsClearlyAndLeavesNothing) {
  std::set<int> before = OurChildren();
  for (std::string prog : {"/no/such/program", "no-such-program-stasis"}) {
    auto pid = SpawnJob(Spec({prog, "x"}));
    ASSERT_FALSE(pid.ok());
    EXPECT_EQ(pid.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(pid.status().message(), "cannot start job: " + prog + ": No such file or directory");
    EXPECT_TRUE(LogHas("stasis: cannot start job: " + prog)) << ReadFile(log_);
  }
  EXPECT_EQ(OurChildren(), before) << "the failed child was reaped";
}

TEST_F(SpawnTest, NonExecutableProgramIsRefused) {
  std::string script = dir_ / "script";
  { std::ofstream(script) << "#!/bin/sh\necho hi\n"; }
  ::chmod(script.c_str(), 0600);
  auto pid = SpawnJob(Spec({script}));
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("Permission denied"), std::string::npos)
      << pid.status().message();
}

TEST_F(SpawnTest, MissingCwdNamesTheDirectory) {
  JobSpec spec = Spec({"true"});
  spec.cwd = dir_ / "missing";
  auto pid = SpawnJob(spec);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find(spec.cwd), std::string::npos) << pid.status().message();
}

TEST_F(SpawnTest, BadSpecsFailBeforeStarting) {
  std::set<int> before = OurChildren();
  EXPECT_EQ(SpawnJob(Spec({})).status().code(), StatusCode::kInvalidArgument);
  JobSpec no_log = Spec({"true"});
  no_log.log_path = dir_ / "no/such/dir/log";
  auto r = SpawnJob(no_log);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(no_log.log_path), std::string::npos);
  EXPECT_EQ(OurChildren(), before);
}

}  // namespace
}  // namespace stasis::jobs
