#include "storage/local/local_storage.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/local/free_space.h"
#include "storage/local/local_internal.h"
#include "storage/storage_registry.h"

namespace stasis::storage {
namespace {

namespace fs = std::filesystem;

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-storage-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string ReadAll(Reader& r) {
    std::string out;
    char buf[4096];
    for (;;) {
      auto n = r.Read(buf, sizeof buf);
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) break;
      out.append(buf, *n);
    }
    return out;
  }

  // Names in dir_, temp files included.
  std::vector<std::string> RawNames() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    return out;
  }

  std::string dir_;
  LocalStorage storage_;
};

TEST_F(LocalStorageTest, NothingVisibleUntilCommit) {
  std::string target = dir_ + "/a.tar";
  auto w = storage_.NewWriter(target);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append("hello ", 6).ok());
  ASSERT_TRUE((*w)->Append("world", 5).ok());
  EXPECT_EQ((*w)->BytesWritten(), 11u);
  EXPECT_FALSE(fs::exists(target));
  auto listed = storage_.List(dir_);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "temp files must not be listed";
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_TRUE(fs::exists(target));
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto r = storage_.NewReader("file://" + target);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->Size(), 11u);
  EXPECT_EQ(ReadAll(**r), "hello world");
  EXPECT_EQ(RawNames().size(), 1u);
}

TEST_F(LocalStorageTest, DestroyWithoutCommitLeavesNothing) {
  {
    auto w = storage_.NewWriter(dir_ + "/b.tar");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("x", 1).ok());
  }
  EXPECT_TRUE(RawNames().empty());
  auto w = storage_.NewWriter(dir_ + "/c.tar");
  ASSERT_TRUE(w.ok());
  (*w)->Abort();
  (*w)->Abort();
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_TRUE(RawNames().empty());
}

// What a writer leaves when the daemon dies before Commit() or Abort(): its
// temp file. RemoveIncomplete takes those of the object, and every one
// inside a prefix directory, and nothing else.
TEST_F(LocalStorageTest, RemoveIncompleteTakesOnlyUnfinishedWrites) {
  std::string own = TempNameFor("dump-1.tar.zst");
  std::string other = TempNameFor("dump-10.tar.zst");
  std::ofstream(dir_ + "/" + own) << "half";
  std::ofstream(dir_ + "/" + other) << "another dump's";
  std::ofstream(dir_ + "/dump-1.tar.zst.keep") << "not a temp file";
  fs::create_directory(dir_ + "/dump-2");
  std::ofstream(dir_ + "/dump-2/shard-0.lz4") << "committed";
  std::ofstream(dir_ + "/dump-2/" + TempNameFor("shard-1.lz4")) << "half";

  ASSERT_TRUE(storage_.RemoveIncomplete(dir_ + "/dump-1.tar.zst").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/" + own));
  EXPECT_TRUE(fs::exists(dir_ + "/" + other)) << "another object's temp file was removed";
  EXPECT_TRUE(fs::exists(dir_ + "/dump-1.tar.zst.keep"));

  ASSERT_TRUE(storage_.RemoveIncomplete(dir_ + "/dump-2").ok());
  EXPECT_TRUE(fs::exists(dir_ + "/dump-2/shard-0.lz4")) << "a committed shard was removed";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ + "/dump-2"), fs::directory_iterator()), 1);
  EXPECT_TRUE(storage_.RemoveIncomplete(dir_ + "/nowhere/x").ok()) << "nothing to do is fine";
}

TEST_F(LocalStorageTest, NeverOverwrites) {
  std::ofstream(dir_ + "/d.tar") << "old";
  auto w = storage_.NewWriter(dir_ + "/d.tar");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kAlreadyExists);

  // A target that appears between NewWriter and Commit wins; ours is dropped.
  auto w2 = storage_.NewWriter(dir_ + "/e.tar");
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w2)->Append("new", 3).ok());
  std::ofstream(dir_ + "/e.tar") << "racer";
  EXPECT_EQ((*w2)->Commit().code(), StatusCode::kAlreadyExists);
  std::stringstream ss;
  ss << std::ifstream(dir_ + "/e.tar").rdbuf();
  EXPECT_EQ(ss.str(), "racer");
  EXPECT_EQ(RawNames().size(), 2u);
}

TEST_F(LocalStorageTest, MissingDirectoryIsNotFound) {
  auto w = storage_.NewWriter(dir_ + "/nope/x.tar");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
  EXPECT_NE(w.status().message().find("does not exist"), std::string::npos);
  EXPECT_EQ(storage_.List(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage_.NewReader(dir_ + "/nope.tar").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(storage_.Remove(dir_ + "/nope.tar").code(), StatusCode::kNotFound);
}

TEST_F(LocalStorageTest, ReadOnlyDirectory) {
  // A read-only bind mount refuses root too, unlike chmod.
  std::string ro = dir_ + "/ro";
  fs::create_directory(ro);
  if (::mount(ro.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, ro.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    GTEST_SKIP() << "needs CAP_SYS_ADMIN for a read-only bind mount";
  }
  Status st = storage_.CheckWritable(ro);
  auto w = storage_.NewWriter(ro + "/x.tar");
  ::umount(ro.c_str());
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("not writable"), std::string::npos) << st.message();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(LocalStorageTest, FullDiskAbortsAndFreesSpace) {
  std::string small = dir_ + "/small";
  fs::create_directory(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "needs CAP_SYS_ADMIN to mount a tmpfs";
  std::string chunk(256 * 1024, 'x');
  Status st;
  {
    auto w = storage_.NewWriter(small + "/big.tar");
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 16 && st.ok(); ++i) st = (*w)->Append(chunk.data(), chunk.size());
  }
  bool empty = fs::is_empty(small);
  ::umount(small.c_str());
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("no space left"), std::string::npos) << st.message();
  EXPECT_TRUE(empty);
}

TEST_F(LocalStorageTest, ListStatRemove) {
  fs::create_directory(dir_ + "/sub");
  std::ofstream(dir_ + "/b") << "bb";
  std::ofstream(dir_ + "/a") << "a";
  auto listed = storage_.List(dir_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "a");
  EXPECT_EQ((*listed)[0].location, dir_ + "/a");
  EXPECT_EQ((*listed)[1].size, 2u);
  EXPECT_TRUE((*listed)[2].is_dir);
  auto st = storage_.Stat(dir_ + "/b");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 2u);
  std::ofstream(dir_ + "/sub/x") << "x";
  EXPECT_EQ(storage_.Remove(dir_ + "/sub").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(storage_.Remove(dir_ + "/sub/x").ok());
  EXPECT_TRUE(storage_.Remove(dir_ + "/sub").ok());
  EXPECT_TRUE(storage_.Remove(dir_ + "/a").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
}

TEST_F(LocalStorageTest, FreeBytesAndRegistry) {
  auto free = FreeBytes(dir_);
  ASSERT_TRUE(free.ok());
  EXPECT_GT(*free, 0u);
  EXPECT_FALSE(FreeBytes("s3://bucket/x").ok());
  auto local = StorageFor(dir_);
  ASSERT_TRUE(local.ok());
  auto s3 = StorageFor("s3://bucket/x");
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.status().message().find("stasis plugin install storage/s3"), std::string::npos);
}

}  // namespace
}  // namespace stasis::storage

namespace stasis::storage {
namespace {

TEST_F(LocalStorageTest, ReadRangeReadsExactlyOrSaysWhyNot) {
  std::string target = dir_ + "/shard-0.zst";
  auto w = storage_.NewWriter(target);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("0123456789", 10).ok());
  ASSERT_TRUE((*w)->Commit().ok());
  std::string out = "leftover from before";
  ASSERT_TRUE(storage_.ReadRange(target, 3, 4, &out).ok());
  EXPECT_EQ(out, "3456");
  ASSERT_TRUE(storage_.ReadRange("file://" + target, 0, 10, &out).ok());
  EXPECT_EQ(out, "0123456789");
  EXPECT_EQ(storage_.ReadRange(target, 8, 4, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(storage_.ReadRange(dir_ + "/none", 0, 1, &out).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace stasis::storage
