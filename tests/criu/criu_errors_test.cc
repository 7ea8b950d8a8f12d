#include "criu/criu_errors.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "criu/cli_engine.h"

namespace stasis::criu {
namespace {

TEST(CriuErrorsTest, FirstErrorLineDropsThePrefix) {
  EXPECT_EQ(FirstErrorLine("(00.001) info\n(00.002) Error (criu/sk-inet.c:123): tcp: Connected "
                           "TCP socket, consider using --tcp-established option.\n(00.003) Error "
                           "(x): later\n"),
            "tcp: Connected TCP socket, consider using --tcp-established option.");
  EXPECT_EQ(FirstErrorLine("nothing wrong\n"), "");
  EXPECT_EQ(FirstErrorLine("(0.1) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE\n"
                           "(0.2) Error (criu/cr-restore.c:1230): Can't fork for 421: File exists\n"
                           "(0.3) Error (criu/cr-restore.c:2320): Restoring FAILED.\n"),
            "Can't fork for 421: File exists");
}

TEST(CriuErrorsTest, NamesTheFlagThatHelps) {
  std::string log = "/tmp/stasis-criu-errors-test.log";
  std::ofstream(log) << "(00.1) Error (criu/files-reg.c:1): Some file locks are hold, use "
                        "--file-locks\n(00.2) Error (criu/cr-dump.c:2): Dumping FAILED.\n";
  Status st = CriuFailure("dump", log, "", 42);
  std::remove(log.c_str());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("retry with --file-locks"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(log), std::string::npos);
}

// What CRIU 4.1.1 logs on Linux >= 6.16 for a process with a TCP socket.
TEST(CriuErrorsTest, ANetworkSocketThisKernelRefusesIsOneClearSentence) {
  std::string log = "/tmp/stasis-criu-errors-test-sk.log";
  std::ofstream(log) << "(00.1) Error (criu/sockets.c:567): sockets: Can't get 1:16 opt: "
                        "Operation not supported\n(00.2) Error (criu/cr-dump.c:2): "
                        "Dumping FAILED.\n";
  Status st = CriuFailure("dump", log, "", 42);
  std::remove(log.c_str());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("cannot checkpoint a process with TCP or UDP sockets"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find("retry with"), std::string::npos) << "no flag helps here";
}

TEST(CriuErrorsTest, VersionParsing) {
  EXPECT_EQ(ParseCriuVersion("Version: 4.1.1\nGitID: x\n"), "4.1.1");
  EXPECT_TRUE(VersionAtLeast("4.1.1", 4, 1));
  EXPECT_TRUE(VersionAtLeast("5.0", 4, 1));
  EXPECT_FALSE(VersionAtLeast("3.17.1", 4, 1));
  EXPECT_FALSE(VersionAtLeast("", 4, 1));
}

}  // namespace
// What CRIU's parasite logs when two dumps of processes with one working
// directory mount /proc at ./proc.crtools at the same moment.
TEST(CriuErrorsTest, AProcMountCollisionIsRecognisedAsSafeToRetry) {
  std::string log = "/tmp/stasis-criu-errors-test-proc.log";
  std::ofstream(log) << "(00.1) Error (criu/pie/parasite.c:634): Can't create a directory (-17)\n"
                        "(00.2) Error (criu/parasite-syscall.c:1): Can't get /proc fd\n";
  Status st = CriuFailure("dump", log, "", 42);
  std::remove(log.c_str());
  EXPECT_TRUE(IsProcMountCollision(st)) << st.message();
  EXPECT_NE(st.message().find("proc.crtools"), std::string::npos) << st.message();
  EXPECT_FALSE(IsProcMountCollision(Status::Unavailable("S3 is down")));
  EXPECT_FALSE(IsProcMountCollision(Status::OK()));
}

}  // namespace stasis::criu
