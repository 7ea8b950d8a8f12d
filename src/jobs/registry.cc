#include "jobs/registry.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

namespace stasis::jobs {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  pid INTEGER NOT NULL,
  pid_start_time INTEGER NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  spec_json TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  location TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  size INTEGER NOT NULL,
  compression TEXT NOT NULL,
  kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_by_job ON checkpoints (job_id, created);
)sql";

std::string SpecToJson(const JobSpec& s) {
  nlohmann::json j = {{"argv", s.argv},
                      {"cwd", s.cwd},
                      {"env", s.env},
                      {"log_path", s.log_path},
                      {"pid_namespace", s.pid_namespace}};
  return j.dump();
}

JobSpec SpecFromJson(const std::string& text) {
  JobSpec s;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  s.argv = j.value("argv", std::vector<std::string>{});
  s.cwd = j.value("cwd", "");
  s.env = j.value("env", std::vector<std::string>{});
  s.log_path = j.value("log_path", "");
  s.pid_namespace = j.value("pid_namespace", false);
  return s;
}

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  Status Error(const std::string& what) const {
    return Status::IOError("job registry: cannot " + what + ": " + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

JobRecord JobFromRow(const Stmt& s) {
  JobRecord r;
  r.id = s.Text(0);
  r.type = s.Text(1);
  r.pid = static_cast<int>(s.Int(2));
  r.pid_start_time = static_cast<uint64_t>(s.Int(3));
  if (!ParseJobStatus(s.Text(4), &r.status)) r.status = JobStatus::kLost;
  r.exit_code = static_cast<int>(s.Int(5));
  r.spec = SpecFromJson(s.Text(6));
  r.created = s.Int(7);
  return r;
}

CheckpointRecord CheckpointFromRow(const Stmt& s) {
  CheckpointRecord c;
  c.job_id = s.Text(0);
  c.location = s.Text(1);
  c.created = s.Int(2);
  c.size = static_cast<uint64_t>(s.Int(3));
  c.compression = s.Text(4);
  c.kind = s.Text(5);
  return c;
}

constexpr const char* kJobColumns =
    "id, type, pid, pid_start_time, status, exit_code, spec_json, created";
constexpr const char* kCheckpointColumns = "job_id, location, created, size, compression, kind";

}  // namespace

struct Registry::Impl {
  sqlite3* db = nullptr;
  std::mutex mu;
  ~Impl() { sqlite3_close(db); }

  Status Exec(const char* sql, const std::string& what) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return Status::OK();
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError("job registry: cannot " + what + ": " + msg);
  }
};

Registry::Registry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create " + parent.string() + ": " + ec.message());
    ::chmod(parent.c_str(), 0700);
  }
  auto impl = std::make_unique<Impl>();
  // The registry holds job command lines and environments: owner only.
  mode_t old = ::umask(077);
  int rc =
      sqlite3_open_v2(path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK)
    return Status::IOError("cannot open job registry " + path + ": " +
                           (impl->db ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(impl->db, 5000);
  RETURN_IF_ERROR(
      impl->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", "set up " + path));
  {
    Stmt v(impl->db, "PRAGMA user_version");
    if (v.ok() && v.Step() == SQLITE_ROW && v.Int(0) > kSchemaVersion)
      return Status::FailedPrecondition("job registry " + path +
                                        " was written by a newer stasis; upgrade stasis");
  }
  RETURN_IF_ERROR(impl->Exec(kSchema, "create tables in " + path));
  RETURN_IF_ERROR(impl->Exec("PRAGMA user_version = 1", "set the schema version"));
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

Status Registry::PutJob(const JobRecord& job) {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db,
         "INSERT OR REPLACE INTO jobs (id, type, pid, pid_start_time, status, exit_code, "
         "spec_json, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s.ok()) return s.Error("save job " + job.id);
  s.Bind(1, job.id)
      .Bind(2, job.type)
      .Bind(3, int64_t{job.pid})
      .Bind(4, static_cast<int64_t>(job.pid_start_time))
      .Bind(5, std::string(JobStatusName(job.status)))
      .Bind(6, int64_t{job.exit_code})
      .Bind(7, SpecToJson(job.spec))
      .Bind(8, job.created);
  if (s.Step() != SQLITE_DONE) return s.Error("save job " + job.id);
  return Status::OK();
}

Result<std::optional<JobRecord>> Registry::GetJob(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?1").c_str());
  if (!s.ok()) return s.Error("read job " + id);
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<JobRecord>();
  if (rc != SQLITE_ROW) return s.Error("read job " + id);
  return std::optional<JobRecord>(JobFromRow(s));
}

Result<std::vector<JobRecord>> Registry::ListJobs() {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db,
         (std::string("SELECT ") + kJobColumns + " FROM jobs ORDER BY created, id").c_str());
  if (!s.ok()) return s.Error("list jobs");
  std::vector<JobRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(JobFromRow(s));
  if (rc != SQLITE_DONE) return s.Error("list jobs");
  return out;
}

Status Registry::DeleteJob(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  RETURN_IF_ERROR(impl_->Exec("BEGIN IMMEDIATE", "delete job " + id));
  Stmt a(impl_->db, "DELETE FROM checkpoints WHERE job_id = ?1");
  Stmt b(impl_->db, "DELETE FROM jobs WHERE id = ?1");
  a.Bind(1, id);
  b.Bind(1, id);
  if (a.Step() != SQLITE_DONE || b.Step() != SQLITE_DONE) {
    Status st = b.Error("delete job " + id);
    impl_->Exec("ROLLBACK", "roll back").ok();
    return st;
  }
  return impl_->Exec("COMMIT", "delete job " + id);
}

Status Registry::AddCheckpoint(const CheckpointRecord& cp) {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db,
         "INSERT OR REPLACE INTO checkpoints (job_id, location, created, size, compression, kind) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s.ok()) return s.Error("record checkpoint " + cp.location);
  s.Bind(1, cp.job_id)
      .Bind(2, cp.location)
      .Bind(3, cp.created)
      .Bind(4, static_cast<int64_t>(cp.size))
      .Bind(5, cp.compression)
      .Bind(6, cp.kind);
  if (s.Step() != SQLITE_DONE) return s.Error("record checkpoint " + cp.location);
  return Status::OK();
}

Result<std::vector<CheckpointRecord>> Registry::ListCheckpoints(const std::string& job_id) {
  std::lock_guard lock(impl_->mu);
  std::string sql = std::string("SELECT ") + kCheckpointColumns + " FROM checkpoints" +
                    (job_id.empty() ? "" : " WHERE job_id = ?1") +
                    " ORDER BY created DESC, id DESC";
  Stmt s(impl_->db, sql.c_str());
  if (!s.ok()) return s.Error("list checkpoints");
  if (!job_id.empty()) s.Bind(1, job_id);
  std::vector<CheckpointRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(CheckpointFromRow(s));
  if (rc != SQLITE_DONE) return s.Error("list checkpoints");
  return out;
}

Result<std::optional<CheckpointRecord>> Registry::LatestCheckpoint(const std::string& job_id) {
  ASSIGN_OR_RETURN(auto all, ListCheckpoints(job_id));
  if (all.empty()) return std::optional<CheckpointRecord>();
  return std::optional<CheckpointRecord>(all.front());
}

Status Registry::RemoveCheckpoint(const std::string& location) {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, "DELETE FROM checkpoints WHERE location = ?1");
  s.Bind(1, location);
  if (s.Step() != SQLITE_DONE) return s.Error("forget checkpoint " + location);
  return Status::OK();
}

}  // namespace stasis::jobs
