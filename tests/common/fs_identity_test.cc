// Runs as root (as in CI): the scope must make the kernel judge file access
// as the caller, on the switched thread only.
#include "common/fs_identity.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace stasis {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kUser = 4242;
constexpr gid_t kShared = 4300;  // a supplementary group of kUser

Caller User(std::vector<gid_t> groups = {}) {
  return Caller{kUser, kUser, std::move(groups), 0};
}

// The words after `key` ("Uid:", "CapEff:", ...) in a /proc status file.
std::vector<std::string> StatusField(const std::string& status_path, const std::string& key) {
  std::ifstream in(status_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream words(line.substr(key.size()));
    std::vector<std::string> out;
    for (std::string w; words >> w;) out.push_back(w);
    return out;
  }
  ADD_FAILURE() << "no " << key << " in " << status_path;
  return {};
}

std::string ThreadStatus() {
  return "/proc/self/task/" + std::to_string(::gettid()) + "/status";
}

// The fsuid is the 4th id on the Uid: line.
std::string FsUidOf(const std::string& status_path) {
  auto ids = StatusField(status_path, "Uid:");
  return ids.size() == 4 ? ids[3] : "?";
}

bool HasEffectiveCap(int cap) {
  auto hex = StatusField(ThreadStatus(), "CapEff:");
  if (hex.empty()) return false;
  return (std::stoull(hex[0], nullptr, 16) >> cap) & 1;
}

// errno of open(path, flags), or 0 (the fd is closed).
int OpenErrno(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

class FsIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these tests switch identities and must run as root";
    char tmpl[] = "/tmp/stasis-fsid-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    ASSERT_EQ(::chmod(base_.c_str(), 0755), 0);  // others may pass through

    user_dir_ = base_ + "/user";
    ASSERT_EQ(::mkdir(user_dir_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(user_dir_.c_str(), kUser, kUser), 0);

    root_file_ = base_ + "/root-file";
    std::ofstream(root_file_) << "secret";
    ASSERT_EQ(::chmod(root_file_.c_str(), 0600), 0);

    root_dir_ = base_ + "/root-dir";
    ASSERT_EQ(::mkdir(root_dir_.c_str(), 0755), 0);

    group_dir_ = base_ + "/group-dir";
    ASSERT_EQ(::mkdir(group_dir_.c_str(), 0770), 0);
    ASSERT_EQ(::chown(group_dir_.c_str(), 0, kShared), 0);
    ASSERT_EQ(::chmod(group_dir_.c_str(), 0770), 0);  // past the umask
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  void ExpectAccessVerdicts();

  std::string base_, user_dir_, root_file_, root_dir_, group_dir_;
};

TEST_F(FsIdentityTest, FilesCreatedInScopeBelongToTheCaller) {
  std::string path = user_dir_ + "/mine";
  {
    ScopedFsIdentity as_user(User());
    ASSERT_TRUE(as_user.ok()) << as_user.status().ToString();
    EXPECT_EQ(OpenErrno(path, O_WRONLY | O_CREAT | O_EXCL), 0);
    EXPECT_EQ(::mkdir((user_dir_ + "/sub").c_str(), 0700), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_EQ(st.st_gid, kUser);
  ASSERT_EQ(::stat((user_dir_ + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUser);
}

TEST_F(FsIdentityTest, RootOnlyPlacesAreRefusedUntilTheScopeEnds) {
  std::string in_root_dir = root_dir_ + "/planted";
  {
    ScopedFsIdentity as_user(User());
    ASSERT_TRUE(as_user.ok()) << as_user.status().ToString();
    EXPECT_EQ(OpenErrno(root_file_, O_RDONLY), EACCES);
    EXPECT_EQ(OpenErrno(in_root_dir, O_WRONLY | O_CREAT | O_EXCL), EACCES);
    EXPECT_NE(::mkdir((root_dir_ + "/d").c_str(), 0700), 0);
    EXPECT_EQ(errno, EACCES);
    EXPECT_NE(::chown(user_dir_.c_str(), 0, 0), 0) << "CAP_CHOWN must be gone too";
  }
  EXPECT_EQ(OpenErrno(root_file_, O_RDONLY), 0);
  EXPECT_EQ(OpenErrno(in_root_dir, O_WRONLY | O_CREAT | O_EXCL), 0);
  EXPECT_EQ(::mkdir((root_dir_ + "/d").c_str(), 0700), 0);
  EXPECT_EQ(OpenErrno(user_dir_ + "/by-root", O_WRONLY | O_CREAT | O_EXCL), 0);
  struct stat st {};
  ASSERT_EQ(::stat(in_root_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(FsIdentityTest, FileCapabilitiesDropInScopeAndComeBack) {
  ASSERT_TRUE(HasEffectiveCap(CAP_DAC_OVERRIDE));
  {
    ScopedFsIdentity as_user(User({kShared}));
    ASSERT_TRUE(as_user.ok()) << as_user.status().ToString();
    EXPECT_EQ(FsUidOf(ThreadStatus()), "4242");
    EXPECT_EQ(StatusField(ThreadStatus(), "Gid:").back(), "4242");
    EXPECT_EQ(StatusField(ThreadStatus(), "Groups:"), std::vector<std::string>{"4300"});
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN, CAP_FSETID})
      EXPECT_FALSE(HasEffectiveCap(cap)) << "capability " << cap;
  }
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
  EXPECT_EQ(StatusField(ThreadStatus(), "Gid:").back(), "0");
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN, CAP_FSETID})
    EXPECT_TRUE(HasEffectiveCap(cap)) << "capability " << cap;
}

TEST_F(FsIdentityTest, SupplementaryGroupsCount) {
  {
    ScopedFsIdentity without(User());
    ASSERT_TRUE(without.ok());
    EXPECT_EQ(OpenErrno(group_dir_ + "/a", O_WRONLY | O_CREAT | O_EXCL), EACCES);
  }
  {
    ScopedFsIdentity with(User({kShared}));
    ASSERT_TRUE(with.ok());
    EXPECT_EQ(OpenErrno(group_dir_ + "/b", O_WRONLY | O_CREAT | O_EXCL), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat((group_dir_ + "/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_EQ(st.st_gid, kUser) << "new files take the fsgid, not the supplementary group";
}

TEST_F(FsIdentityTest, RootCallerChangesNothing) {
  ScopedFsIdentity as_root(RootCaller());
  EXPECT_TRUE(as_root.ok());
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
  EXPECT_EQ(OpenErrno(root_file_, O_RDONLY), 0);
}

TEST_F(FsIdentityTest, NestedScopesRestoreInTurn) {
  ScopedFsIdentity outer(User());
  ASSERT_TRUE(outer.ok());
  {
    ScopedFsIdentity inner(Caller{4243, 4243, {}, 0});
    ASSERT_TRUE(inner.ok()) << inner.status().ToString();
    EXPECT_EQ(FsUidOf(ThreadStatus()), "4243");
    EXPECT_EQ(OpenErrno(user_dir_ + "/x", O_WRONLY | O_CREAT | O_EXCL), EACCES);
  }
  EXPECT_EQ(FsUidOf(ThreadStatus()), "4242");
  EXPECT_EQ(OpenErrno(user_dir_ + "/x", O_WRONLY | O_CREAT | O_EXCL), 0);
}

TEST_F(FsIdentityTest, InvalidCallerIsRefusedAndNothingChanges) {
  ScopedFsIdentity bad(Caller{static_cast<uid_t>(-1), 4242, {}, 0});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot act as uid"), std::string::npos)
      << bad.status().ToString();
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
  EXPECT_EQ(StatusField(ThreadStatus(), "Gid:").back(), "0");
  EXPECT_EQ(OpenErrno(root_file_, O_RDONLY), 0);
}

TEST_F(FsIdentityTest, OtherThreadsKeepRootWhileOneIsSwitched) {
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, done = false;
  pid_t switched_tid = 0;
  int switched_open_errno = -1;
  const auto groups_before = StatusField(ThreadStatus(), "Groups:");

  std::thread worker([&] {
    ScopedFsIdentity as_user(User({kShared}));
    std::unique_lock<std::mutex> lock(mu);
    switched_tid = ::gettid();
    switched_open_errno = as_user.ok() ? OpenErrno(root_file_, O_RDONLY) : -2;
    inside = true;
    cv.notify_all();
    cv.wait(lock, [&] { return done; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return inside; });
  }
  EXPECT_EQ(switched_open_errno, EACCES);
  // This thread, while the worker is inside its scope: still root.
  EXPECT_EQ(OpenErrno(root_file_, O_RDONLY), 0);
  EXPECT_EQ(OpenErrno(root_dir_ + "/from-main", O_WRONLY | O_CREAT | O_EXCL), 0);
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
  EXPECT_TRUE(HasEffectiveCap(CAP_DAC_OVERRIDE));
  // glibc's setgroups() would have changed every thread's groups.
  EXPECT_EQ(StatusField(ThreadStatus(), "Groups:"), groups_before);
  EXPECT_EQ(FsUidOf("/proc/self/task/" + std::to_string(switched_tid) + "/status"), "4242");
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  worker.join();
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
}

// The verdicts CheckAccessAs must give, however it reaches them.
void FsIdentityTest::ExpectAccessVerdicts() {
  Caller user = User();
  EXPECT_TRUE(CheckAccessAs(user, user_dir_, W_OK | X_OK).ok());
  EXPECT_TRUE(CheckAccessAs(user, root_dir_, R_OK | X_OK).ok());
  EXPECT_TRUE(CheckAccessAs(User({kShared}), group_dir_, W_OK).ok());

  Status st = CheckAccessAs(user, root_dir_, W_OK);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "uid 4242 cannot write to " + root_dir_ + ": Permission denied");

  st = CheckAccessAs(user, root_file_, R_OK);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "uid 4242 cannot read " + root_file_ + ": Permission denied");

  st = CheckAccessAs(user, group_dir_, R_OK | W_OK);
  EXPECT_EQ(st.message(),
            "uid 4242 cannot read and write to " + group_dir_ + ": Permission denied");

  // Another user cannot even reach into 4242's 0700 directory.
  st = CheckAccessAs(Caller{4243, 4243, {}, 0}, user_dir_ + "/anything", F_OK);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();

  st = CheckAccessAs(user, base_ + "/missing", R_OK);
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();

  for (const auto& path : {root_dir_, root_file_, user_dir_})
    EXPECT_TRUE(CheckAccessAs(RootCaller(), path, R_OK | W_OK).ok()) << path;
  EXPECT_EQ(FsUidOf(ThreadStatus()), "0");
}

TEST_F(FsIdentityTest, CheckAccessAsJudgesWithTheCallersRights) {
  ExpectAccessVerdicts();
}

TEST_F(FsIdentityTest, CheckAccessAsWithoutFaccessat2) {
  // A kernel before 5.8, for one thread: seccomp makes faccessat2 ENOSYS.
  std::thread([this] {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_faccessat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    ASSERT_EQ(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0) << std::strerror(errno);
    ASSERT_EQ(::syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK, AT_EACCESS), -1);
    ASSERT_EQ(errno, ENOSYS);
    ExpectAccessVerdicts();
  }).join();
}

}  // namespace
}  // namespace stasis
