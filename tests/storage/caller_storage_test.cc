// Runs as root (as in CI): the real LocalStorage behind StorageAsCaller must
// do for uid 4242 exactly what uid 4242 could do itself.
#include "storage/caller_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "storage/local/local_storage.h"

namespace stasis::storage {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kUser = 4242;

std::string ReadAll(Reader& r) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = r.Read(buf, sizeof buf);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

// This thread's fsuid (4th id of the Uid: line): no call may leave it changed.
std::string ThreadFsUid() {
  std::ifstream in("/proc/self/task/" + std::to_string(::gettid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream ids(line.substr(4));
    std::string id;
    for (int i = 0; i < 4; ++i) ids >> id;
    return id;
  }
  return "?";
}

void ExpectRefused(const Status& st, const std::string& what) {
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << what << ": " << st.ToString();
  EXPECT_EQ(st.message().rfind("as uid 4242: ", 0), 0u) << st.ToString();
  EXPECT_NE(st.message().find("Permission denied"), std::string::npos) << st.ToString();
}

class CallerStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these tests switch identities and must run as root";
    char tmpl[] = "/tmp/stasis-caller-storage-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    ASSERT_EQ(::chmod(base_.c_str(), 0755), 0);  // root's, but others may look in

    user_dir_ = base_ + "/user";
    ASSERT_EQ(::mkdir(user_dir_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(user_dir_.c_str(), kUser, kUser), 0);

    private_dir_ = base_ + "/private";
    ASSERT_EQ(::mkdir(private_dir_.c_str(), 0700), 0);
    std::ofstream(private_dir_ + "/root.tar") << "root's checkpoint";

    root_object_ = base_ + "/root.tar";
    std::ofstream(root_object_) << "root's checkpoint";
    ASSERT_EQ(::chmod(root_object_.c_str(), 0600), 0);

    local_ = std::make_shared<LocalStorage>();
    storage_ = StorageAsCaller(local_, Caller{kUser, kUser, {}, 0});
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
    EXPECT_EQ(ThreadFsUid(), "0");
  }

  std::string base_, user_dir_, private_dir_, root_object_;
  std::shared_ptr<Storage> local_;
  std::shared_ptr<Storage> storage_;
};

TEST_F(CallerStorageTest, CallerWritesIntoOwnDirectoryAndOwnsTheCheckpoint) {
  std::string target = user_dir_ + "/ckpt.tar";
  ASSERT_TRUE(storage_->CheckWritable(user_dir_).ok());
  auto w = storage_->NewWriter(target);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(ThreadFsUid(), "0");
  ASSERT_TRUE((*w)->Append("hello world", 11).ok());
  EXPECT_EQ((*w)->BytesWritten(), 11u);
  // Commit from another thread, as a daemon's worker may.
  Status committed;
  std::thread([&] { committed = (*w)->Commit(); }).join();
  ASSERT_TRUE(committed.ok()) << committed.ToString();

  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_EQ(st.st_gid, kUser);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto r = storage_->NewReader(target);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(**r), "hello world");
  std::string range;
  ASSERT_TRUE(storage_->ReadRange(target, 6, 5, &range).ok());
  EXPECT_EQ(range, "world");
  auto listed = storage_->List(user_dir_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "ckpt.tar");
  EXPECT_TRUE(storage_->Stat(target).ok());
  EXPECT_TRUE(storage_->Remove(target).ok());
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(CallerStorageTest, AbandonedWriterLeavesNothing) {
  {
    auto w = storage_->NewWriter(user_dir_ + "/gone.tar");
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Append("x", 1).ok());
  }
  EXPECT_TRUE(fs::is_empty(user_dir_));
}

TEST_F(CallerStorageTest, CommitIsTheCallersActToo) {
  std::string target = user_dir_ + "/late.tar";
  auto w = storage_->NewWriter(target);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append("x", 1).ok());
  // The caller's directory stops being writable before the commit: root
  // could still rename into it, the caller cannot.
  ASSERT_EQ(::chmod(user_dir_.c_str(), 0500), 0);
  ExpectRefused((*w)->Commit(), "commit into a directory the caller cannot write");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(CallerStorageTest, RootOnlyDirectoriesAreRefused) {
  ExpectRefused(storage_->NewWriter(private_dir_ + "/mine.tar").status(), "write into root 0700");
  ExpectRefused(storage_->NewWriter(base_ + "/mine.tar").status(), "write into root 0755");
  EXPECT_FALSE(fs::exists(base_ + "/mine.tar"));
  ExpectRefused(storage_->CheckWritable(base_), "probe root 0755");
  ExpectRefused(storage_->List(private_dir_).status(), "list root 0700");
  ExpectRefused(storage_->Stat(private_dir_ + "/root.tar").status(), "stat inside root 0700");
  ExpectRefused(storage_->Remove(root_object_), "remove root's object");
  EXPECT_TRUE(fs::exists(root_object_));
  EXPECT_EQ(storage_->NewWriter(private_dir_ + "/mine.tar").status().message(),
            "as uid 4242: checkpoint directory " + private_dir_ +
                " is not accessible: Permission denied");
}

TEST_F(CallerStorageTest, RootObjectsCannotBeRead) {
  ExpectRefused(storage_->NewReader(root_object_).status(), "read root 0600");
  std::string out;
  ExpectRefused(storage_->ReadRange(root_object_, 0, 4, &out), "range of root 0600");
  ExpectRefused(storage_->NewReader(private_dir_ + "/root.tar").status(), "read inside 0700");
  // Nor through a symlink the caller plants in its own directory.
  std::string link = user_dir_ + "/link.tar";
  ASSERT_EQ(::symlink(root_object_.c_str(), link.c_str()), 0);
  ExpectRefused(storage_->NewReader(link).status(), "read root 0600 through a symlink");
}

TEST_F(CallerStorageTest, RemoveIncompleteSparesRootsFiles) {
  // A writer's temp file (the shape local storage gives them) left by root.
  std::string temp = base_ + "/.x.tar.partial-0123456789abcdef";
  std::ofstream(temp) << "root's partial";
  storage_->RemoveIncomplete(base_ + "/x.tar").ok();  // local storage skips what it cannot unlink
  EXPECT_TRUE(fs::exists(temp));
  ExpectRefused(storage_->RemoveIncomplete(private_dir_ + "/x.tar"), "clean up in root 0700");
}

TEST_F(CallerStorageTest, RootCallerGetsTheStorageUnchanged) {
  std::shared_ptr<Storage> as_root = StorageAsCaller(local_, RootCaller());
  EXPECT_EQ(as_root.get(), local_.get());
  auto w = as_root->NewWriter(private_dir_ + "/root2.tar");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append("r", 1).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  struct stat st {};
  ASSERT_EQ(::stat((private_dir_ + "/root2.tar").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_TRUE(as_root->NewReader(root_object_).ok());
}

}  // namespace
}  // namespace stasis::storage
