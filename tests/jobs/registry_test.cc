#include "jobs/registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <thread>

#include "test_util.h"

namespace stasis::jobs {
namespace {

using test_util::TempDir;

class RegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<Registry> Open() {
    auto r = Registry::Open(path_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  // Runs SQL on the database behind the registry's back.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  static JobRecord Job(const std::string& id, int64_t created) {
    JobRecord j;
    j.id = id;
    j.created = created;
    return j;
  }
  static CheckpointRecord Checkpoint(const std::string& job, const std::string& loc,
                                     int64_t created) {
    CheckpointRecord c;
    c.job_id = job;
    c.location = loc;
    c.created = created;
    return c;
  }
  TempDir dir_;
  std::string path_ = dir_ / "state/sub/stasis.db";
};

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(RegistryTest, JobsRoundTripAndSurviveReopen) {
  JobRecord j = Job("train-1", 10);
  j.type = "process";
  j.pid = 1234;
  j.pid_start_time = 9876543210123ull;
  j.exit_code = 3;
  j.spec.argv = {"sh", "-c",
                 "echo 'it''s' \"quoted\" \\ back; \xe2\x9c\x93 %s ?1 ); DROP TABLE jobs;"};
  j.spec.cwd = "/tmp/with space";
  j.spec.env = {"A=1", "MULTI=line1\nline2", "EMPTY=", "TAB=\t"};
  j.spec.log_path = "/var/log/x.log";
  j.spec.pid_namespace = true;
  {
    auto reg = Open();
    ASSERT_TRUE(reg->PutJob(j).ok());
    JobRecord k = Job("train-2", 20);
    k.status = JobStatus::kDumped;
    ASSERT_TRUE(reg->PutJob(k).ok());
  }
  auto reg = Open();
  auto got = reg->GetJob("train-1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const JobRecord& g = **got;
  EXPECT_EQ(g.type, "process");
  EXPECT_EQ(g.pid, 1234);
  EXPECT_EQ(g.pid_start_time, 9876543210123ull);
  EXPECT_EQ(g.status, JobStatus::kRunning);
  EXPECT_EQ(g.exit_code, 3);
  EXPECT_EQ(g.created, 10);
  EXPECT_EQ(g.spec.argv, j.spec.argv);
  EXPECT_EQ(g.spec.cwd, j.spec.cwd);
  EXPECT_EQ(g.spec.env, j.spec.env);
  EXPECT_EQ(g.spec.log_path, j.spec.log_path);
  EXPECT_TRUE(g.spec.pid_namespace);

  auto all = reg->ListJobs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "train-1") << "oldest first";
  EXPECT_EQ((*all)[1].status, JobStatus::kDumped);

  auto missing = reg->GetJob("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(RegistryTest, PutReplacesById) {
  auto reg = Open();
  JobRecord j = Job("a", 1);
  j.pid = 10;
  ASSERT_TRUE(reg->PutJob(j).ok());
  j.status = JobStatus::kExited;
  j.exit_code = 137;
  j.pid = 0;
  ASSERT_TRUE(reg->PutJob(j).ok());
  auto all = reg->ListJobs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].status, JobStatus::kExited);
  EXPECT_EQ((*all)[0].exit_code, 137);
  EXPECT_EQ((*all)[0].pid, 0);
}

TEST_F(RegistryTest, FilesAreOwnerOnlyWhateverTheUmask) {
  mode_t old = ::umask(0);
  auto reg = Open();
  ::umask(old);
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->PutJob(Job("a", 1)).ok());
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(Mode(dir_ / "state/sub"), 0700u);
  EXPECT_EQ(Mode(dir_ / "state"), 0700u);
  // SQLite gives the write-ahead log the database file's mode.
  EXPECT_EQ(Mode(path_ + "-wal"), 0600u);
}

TEST_F(RegistryTest, BytesThatAreNotUtf8DoNotFailTheJob) {
  auto reg = Open();
  JobRecord j = Job("bin", 1);
  j.spec.argv = {"prog", std::string("a\xff\xfe"
                                     "b")};
  ASSERT_TRUE(reg->PutJob(j).ok());
  auto got = reg->GetJob("bin");
  ASSERT_TRUE(got.ok() && got->has_value());
  ASSERT_EQ((*got)->spec.argv.size(), 2u);
  EXPECT_EQ((*got)->spec.argv[1].front(), 'a');
  EXPECT_EQ((*got)->spec.argv[1].back(), 'b');
}

TEST_F(RegistryTest, DamagedSpecReadsAsEmpty) {
  {
    auto reg = Open();
    ASSERT_TRUE(reg->PutJob(Job("bad-type", 1)).ok());
    ASSERT_TRUE(reg->PutJob(Job("not-json", 2)).ok());
  }
  Sql(R"(UPDATE jobs SET spec_json = '{"argv": 5, "cwd": ["x"], "pid_namespace": "yes"}'
         WHERE id = 'bad-type';
         UPDATE jobs SET spec_json = 'not json', status = 'weird' WHERE id = 'not-json';)");
  auto reg = Open();
  auto all = reg->ListJobs();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[0].spec.argv.empty());
  EXPECT_TRUE((*all)[0].spec.cwd.empty());
  EXPECT_FALSE((*all)[0].spec.pid_namespace);
  EXPECT_TRUE((*all)[1].spec.argv.empty());
  EXPECT_EQ((*all)[1].status, JobStatus::kLost) << "an unknown status reads as lost";
}

TEST_F(RegistryTest, CheckpointsNewestFirstAndDeletedWithTheJob) {
  auto reg = Open();
  ASSERT_TRUE(reg->PutJob(Job("a", 1)).ok());
  EXPECT_FALSE(reg->LatestCheckpoint("a")->has_value());
  for (int i = 0; i < 3; ++i) {
    CheckpointRecord c = Checkpoint("a", "/ckpt/" + std::to_string(i), 100 + i);
    c.size = 5'000'000'000'000ull + i;
    c.compression = "zstd";
    c.kind = i == 1 ? "stream" : "plain";
    ASSERT_TRUE(reg->AddCheckpoint(c).ok());
  }
  ASSERT_TRUE(reg->AddCheckpoint(Checkpoint("", "/ckpt/unmanaged", 50)).ok());

  auto latest = reg->LatestCheckpoint("a");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->location, "/ckpt/2");
  EXPECT_EQ((*latest)->job_id, "a");
  EXPECT_EQ((*latest)->created, 102);
  EXPECT_EQ((*latest)->size, 5'000'000'000'002ull);
  EXPECT_EQ((*latest)->compression, "zstd");

  auto list = reg->ListCheckpoints("a");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].location, "/ckpt/2");
  EXPECT_EQ((*list)[1].kind, "stream");
  EXPECT_EQ((*list)[2].location, "/ckpt/0");
  EXPECT_EQ(reg->ListCheckpoints("")->size(), 4u) << "\"\" lists every checkpoint";

  ASSERT_TRUE(reg->RemoveCheckpoint("/ckpt/2").ok());
  ASSERT_TRUE(reg->RemoveCheckpoint("/ckpt/never-recorded").ok());
  EXPECT_EQ((*reg->LatestCheckpoint("a"))->location, "/ckpt/1");

  ASSERT_TRUE(reg->DeleteJob("a").ok());
  EXPECT_FALSE(reg->GetJob("a")->has_value());
  EXPECT_TRUE(reg->ListCheckpoints("a")->empty());
  auto rest = reg->ListCheckpoints("");
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].location, "/ckpt/unmanaged");
  ASSERT_TRUE(reg->DeleteJob("a").ok()) << "deleting twice is fine";
}

TEST_F(RegistryTest, SameSecondCheckpointsNewestRecordedFirst) {
  auto reg = Open();
  ASSERT_TRUE(reg->AddCheckpoint(Checkpoint("a", "/first", 100)).ok());
  ASSERT_TRUE(reg->AddCheckpoint(Checkpoint("a", "/second", 100)).ok());
  EXPECT_EQ((*reg->LatestCheckpoint("a"))->location, "/second");
}

TEST_F(RegistryTest, CheckpointsSurviveReopen) {
  {
    auto reg = Open();
    ASSERT_TRUE(reg->AddCheckpoint(Checkpoint("a", "s3://bucket/a b/ckpt.tar.zst", 7)).ok());
  }
  auto reg = Open();
  auto latest = reg->LatestCheckpoint("a");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->location, "s3://bucket/a b/ckpt.tar.zst");
}

TEST_F(RegistryTest, ConcurrentWritersAreSerialized) {
  auto reg = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(reg->PutJob(Job(id, i)).ok());
        EXPECT_TRUE(reg->AddCheckpoint(Checkpoint(id, "/c/" + id, i)).ok());
        EXPECT_TRUE(reg->ListCheckpoints(id).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(reg->ListJobs()->size(), 80u);
  EXPECT_EQ(reg->ListCheckpoints("")->size(), 80u);
}

TEST_F(RegistryTest, NewerSchemaIsRefused) {
  { Open(); }
  Sql("PRAGMA user_version = 99");
  auto r = Registry::Open(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("upgrade stasis"), std::string::npos);
}

TEST_F(RegistryTest, SchemaVersionIsRecorded) {
  { Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(RegistryTest, UnopenableDatabaseIsOneSentence) {
  auto r = Registry::Open("/proc/stasis/nope.db");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("cannot open job registry /proc/stasis/nope.db: ", 0), 0u)
      << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);

  auto dir = Registry::Open(dir_.path());  // a directory, not a database
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find(dir_.path()), std::string::npos);
}

}  // namespace
}  // namespace stasis::jobs
