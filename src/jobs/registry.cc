#include "jobs/registry.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/redact.h"
#include "common/unique_fd.h"

namespace stasis::jobs {

namespace {

// Stored as PRAGMA user_version; bump it and add a migration when the
// tables change.
constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

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
                      {"env", RedactEnv(s.env)},
                      {"log_path", s.log_path},
                      {"pid_namespace", s.pid_namespace},
                      {"uid", s.uid},
                      {"gid", s.gid},
                      {"groups", s.groups}};
  // Linux allows any bytes in argv and env but JSON holds only UTF-8: bytes
  // that are not UTF-8 are stored as U+FFFD instead of failing the job.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> StringsField(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

uint32_t IdField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint32_t>() : 0;
}

// Tolerant of damaged or foreign rows: fields of the wrong type read as
// empty (no exceptions escape the registry).
JobSpec SpecFromJson(const std::string& text) {
  JobSpec s;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  s.argv = StringsField(j, "argv");
  s.cwd = StringField(j, "cwd");
  s.env = StringsField(j, "env");
  s.log_path = StringField(j, "log_path");
  auto ns = j.find("pid_namespace");
  s.pid_namespace = ns != j.end() && ns->is_boolean() && ns->get<bool>();
  // Rows written before owners were recorded are root's.
  s.uid = IdField(j, "uid");
  s.gid = IdField(j, "gid");
  auto groups = j.find("groups");
  if (groups != j.end() && groups->is_array())
    for (const auto& g : *groups)
      if (g.is_number_unsigned()) s.groups.push_back(g.get<uint32_t>());
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
    if (t == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col));
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

// Creates the missing directories of `dir`, each 0700. Returns "" or why not.
std::string MakePrivateDirs(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) == 0) {
      ::chmod(partial.c_str(), 0700);  // exactly 0700, whatever the umask
    } else if (errno != EEXIST) {
      return "cannot create directory " + partial.string() + ": " + std::strerror(errno);
    }
  }
  return "";
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
  auto fail = [&](const std::string& why) {
    return Status::IOError("cannot open job registry " + path + ": " + why);
  };
  // The registry holds job command lines and environments: owner only.
  // Created here rather than with umask(), which would affect every thread.
  std::string dir_error = MakePrivateDirs(std::filesystem::path(path).parent_path());
  if (!dir_error.empty()) return fail(dir_error);
  {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return fail(std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && (st.st_mode & 077) != 0) ::fchmod(fd.get(), 0600);
  }
  auto impl = std::make_unique<Impl>();
  // SQLite gives the -wal and -shm files the database file's mode.
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return fail(impl->db ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(impl->db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(impl->db, 1);
  RETURN_IF_ERROR(
      impl->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                 "PRAGMA foreign_keys=ON;",
                 "set up " + path));
  {
    Stmt v(impl->db, "PRAGMA user_version");
    if (!v.ok() || v.Step() != SQLITE_ROW) return fail(sqlite3_errmsg(impl->db));
    if (v.Int(0) > kSchemaVersion)
      return Status::FailedPrecondition("job registry " + path + " has schema version " +
                                        std::to_string(v.Int(0)) +
                                        ", newer than this stasis supports; upgrade stasis");
  }
  // Tables and version in one transaction: a crash leaves neither or both.
  std::string schema = std::string("BEGIN IMMEDIATE;") + kSchema +
                       "PRAGMA user_version = " + std::to_string(kSchemaVersion) + "; COMMIT;";
  RETURN_IF_ERROR(impl->Exec(schema.c_str(), "create tables in " + path));
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
  const std::string what = "delete job " + id;
  RETURN_IF_ERROR(impl_->Exec("BEGIN IMMEDIATE", what));
  Status st;
  {
    Stmt cps(impl_->db, "DELETE FROM checkpoints WHERE job_id = ?1");
    Stmt job(impl_->db, "DELETE FROM jobs WHERE id = ?1");
    if (!cps.ok() || !job.ok()) {
      st = cps.Error(what);
    } else {
      cps.Bind(1, id);
      job.Bind(1, id);
      if (cps.Step() != SQLITE_DONE || job.Step() != SQLITE_DONE) st = job.Error(what);
    }
  }
  if (st.ok()) st = impl_->Exec("COMMIT", what);
  // Never leave the shared connection inside a transaction.
  if (!st.ok()) impl_->Exec("ROLLBACK", "roll back").ok();
  return st;
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
  if (!s.ok()) return s.Error("forget checkpoint " + location);
  s.Bind(1, location);
  if (s.Step() != SQLITE_DONE) return s.Error("forget checkpoint " + location);
  return Status::OK();
}

}  // namespace stasis::jobs
