#include "common/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

namespace stasis {
namespace {

Result<SubprocessResult> RunArgv(std::vector<std::string> argv, int timeout = 0) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  o.timeout_seconds = timeout;
  return RunSubprocess(o);
}

TEST(SubprocessTest, ExitCodeAndOutput) {
  auto r = RunArgv({"sh", "-c", "echo out; echo err >&2; exit 4"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_NE(r->output.find("out"), std::string::npos);
  EXPECT_NE(r->output.find("err"), std::string::npos);
}

TEST(SubprocessTest, Signal) {
  auto r = RunArgv({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->term_signal, SIGTERM);
}

TEST(SubprocessTest, OutputKeepsOnlyTheTail) {
  auto r = RunArgv({"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; echo END"});
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->output.size(), 64u * 1024);
  EXPECT_NE(r->output.find("END"), std::string::npos);
}

TEST(SubprocessTest, TimeoutKills) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = RunArgv({"sleep", "30"}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(SubprocessTest, InheritedFdStaysOpenOthersClose) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  int keep = ::dup3(p[1], 40, O_CLOEXEC);
  ASSERT_EQ(keep, 40);
  SubprocessOptions o;
  o.argv = {"bash", "-c", "echo hi >&40; [ -e /proc/self/fd/" + std::to_string(p[1]) + " ]"};
  o.inherit_fds = {keep};
  auto r = RunSubprocess(o);
  ::close(keep);
  ::close(p[1]);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0) << "a descriptor not asked for leaked into the child";
  char buf[8] = {};
  EXPECT_EQ(::read(p[0], buf, sizeof buf), 3);
  EXPECT_STREQ(buf, "hi\n");
  ::close(p[0]);
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  auto r = RunArgv({"/no/such/program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/no/such/program"), std::string::npos);
}

}  // namespace
}  // namespace stasis
