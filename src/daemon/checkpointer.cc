#include "daemon/checkpointer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "archive/checkpoint_archive.h"
#include "archive/compression.h"
#include "common/log.h"
#include "common/time_format.h"
#include "common/unique_fd.h"
#include "criu/criu_errors.h"
#include "criu/image_creds.h"
#include "daemon/checkpoint_encryption.h"
#include "daemon/checkpointer_internal.h"
#include "daemon/dump_recovery.h"
#include "daemon/streamed_checkpoint.h"
#include "jobs/process_owner.h"
#include "jobs/process_tree.h"
#include "storage/counting.h"
#include "storage/location.h"
#include "storage/storage_registry.h"
#include "stream/chunk_codec.h"

namespace stasis::daemon {

namespace fs = std::filesystem;

namespace {

Status StatusOf(const Status& st) {
  return st;
}
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// Runs a CRIU dump `attempt` again, after a short random pause, while it
// fails only because a concurrent dump collided with it on CRIU's /proc
// mount point (see criu::IsProcMountCollision); the pauses spread apart
// dumps that were started together.
template <typename Attempt>
auto RetryProcMountCollisions(const std::string& what, Attempt attempt) {
  constexpr int kAttempts = 8;
  std::minstd_rand rng(std::random_device{}());
  for (int i = 1;; ++i) {
    auto result = attempt();
    if (i == kAttempts || !criu::IsProcMountCollision(StatusOf(result))) return result;
    int pause_ms = std::uniform_int_distribution<int>(20, 100 * i)(rng);
    STASIS_LOG(Info) << "dump of " << what << " collided with another on CRIU's /proc mount; "
                     << "trying again in " << pause_ms << " ms";
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
}

// Empties a directory, leaving the directory itself.
void ClearDir(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    fs::remove_all(it->path(), ec);
}

std::string Hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string KernelRelease() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

// The command line and cwd of a process stasis did not start.
JobSpec SpecFromProc(int pid) {
  JobSpec spec;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) spec.argv.push_back(arg);
  std::error_code ec;
  auto cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (!ec) spec.cwd = cwd.string();
  return spec;
}

Status ValidateCheckpointName(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.' || name.size() > 200)
    return Status::InvalidArgument("--name '" + name +
                                   "' must be a plain file name (no '/', not starting with '.')");
  return Status::OK();
}

// Resumes (SIGCONT) a tree CRIU left stopped; logged, never fails the caller.
void ResumeTree(int pid) {
  Status st = jobs::SignalTree(pid, SIGCONT);
  if (!st.ok()) STASIS_LOG(Error) << "cannot resume pid " << pid << ": " << st.message();
}

}  // namespace

bool LooksLikeCheckpointName(const std::string& name) {
  // Any archive name (dumps may be named with --name); the header read that
  // follows tells stasis checkpoints from other tars.
  return !name.empty() && name[0] != '.' && archive::CompressionFromFileName(name).ok();
}

Checkpointer::Checkpointer(const config::Config* config, criu::Engine* engine, JobManager* jobs,
                           jobs::Registry* registry, const stream::SigningKey* signing_key)
    : config_(config),
      engine_(engine),
      jobs_(jobs),
      registry_(registry),
      trust_(config, signing_key),
      journal_(config->state_dir + "/dumps"),
      memory_(config->memory_budget_mib) {}

MemoryBudget::Lease Checkpointer::LeaseMemory(int64_t mib, Progress* progress) {
  return memory_.Acquire(mib, [&](int64_t in_use) {
    STASIS_LOG(Info) << "waiting for " << mib << " MiB of the memory budget (" << in_use << " of "
                     << memory_.total_mib() << " MiB in use)";
    if (progress != nullptr)
      progress->SetPhase("waiting for memory: " + std::to_string(in_use) + " of the daemon's " +
                         std::to_string(memory_.total_mib()) + " MiB budget in use");
  });
}

void Checkpointer::RecoverInterruptedDumps() {
  daemon::RecoverInterruptedDumps(&journal_, config_->state_dir + "/work");
}

Result<std::string> Checkpointer::NewWorkDir(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string base = config_->state_dir + "/work";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return Status::IOError("cannot create " + base + ": " + ec.message());
  ::chmod(base.c_str(), 0700);
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  std::string dir = base + "/" + prefix + "-" + suffix;
  if (::mkdir(dir.c_str(), 0700) != 0) return ErrnoStatus("cannot create " + dir, errno);
  return dir;
}

Result<DumpOutcome> Checkpointer::Dump(const DumpTarget& target, const DumpSettings& s) {
  auto t_start = std::chrono::steady_clock::now();
  if (engine_ == nullptr)
    return Status::FailedPrecondition("CRIU was not found; run scripts/setup.sh to provision it");
  std::string jid;
  int pid = 0;
  JobSpec spec;
  std::string job_type = "process";
  if (!target.job_id.empty()) {
    ASSIGN_OR_RETURN(jobs::JobRecord job, jobs_->GetOwned(target.job_id, s.caller));
    if (!jobs_->IsRunning(job))
      return Status::FailedPrecondition("job '" + job.id + "' is not running (status " +
                                        jobs::JobStatusName(job.status) +
                                        "); there is nothing to checkpoint");
    jid = job.id;
    pid = job.pid;
    spec = job.spec;
    job_type = job.type;
  } else {
    pid = target.pid;
    if (pid <= 0) return Status::InvalidArgument("PID must be a positive number");
    if (::kill(pid, 0) != 0 && errno == ESRCH)
      return Status::NotFound("no process with PID " + std::to_string(pid));
    // The rule ptrace uses: a non-root caller dumps only a tree whose every
    // task is theirs and holds no capabilities.
    RETURN_IF_ERROR(jobs::CheckTreeOwnedBy(pid, s.caller));
    // A managed job's root dumped by pid is still that job.
    ASSIGN_OR_RETURN(auto all, jobs_->List());
    for (const auto& job : all) {
      if (job.pid == pid && jobs_->IsRunning(job)) {
        jid = job.id;
        spec = job.spec;
      }
    }
    if (jid.empty()) {
      // Made for the caller: theirs to list, restore and delete.
      spec = SpecFromProc(pid);
      spec.uid = s.caller.uid;
      spec.gid = s.caller.gid;
      spec.groups.assign(s.caller.groups.begin(), s.caller.groups.end());
    }
  }

  std::string key = jid.empty() ? "pid:" + std::to_string(pid) : "job:" + jid;
  std::string what = jid.empty() ? "process " + std::to_string(pid) : "job '" + jid + "'";
  if (!jobs_->TryBeginOperation(key))
    return Status::FailedPrecondition("a checkpoint or restore of " + what +
                                      " is already in progress");
  OperationSlot slot(jobs_, key);

  // Everything that can be checked before freezing the process is checked here.
  std::string dir = s.dir.empty() ? config_->checkpoint_dir : s.dir;
  ASSIGN_OR_RETURN(auto store, StorageFor(dir, s.caller));
  RETURN_IF_ERROR(store->CheckWritable(dir));
  // Streamed (N shards under a prefix) or plain (one archive).
  int shards = s.stream >= 0 ? s.stream : config_->checkpoint_stream;
  ASSIGN_OR_RETURN(auto encryption_key, ConfiguredEncryptionKey(*config_));
  // A pre-copy and encryption both work on chunks: either one makes the
  // checkpoint a streamed one.
  const char* why_streamed = s.pre_dump ? "--pre-dump makes a streamed checkpoint"
                             : encryption_key.has_value()
                                 ? "encrypted checkpoints are streamed (an encryption key is "
                                   "configured)"
                                 : nullptr;
  if (why_streamed != nullptr && shards == 0) {
    if (s.stream == 0)
      return Status::InvalidArgument(std::string(why_streamed) +
                                     "; drop --stream 0 or give --stream N");
    shards = 1;
  }
  if (shards > 64)
    return Status::InvalidArgument("--stream takes 1 to 64 shards, not " + std::to_string(shards));
  std::string compression_name =
      s.compression.empty() ? config_->checkpoint_compression : s.compression;
  archive::Compression compression = archive::Compression::kNone;
  stream::ChunkCompression chunk_compression = stream::ChunkCompression::kLz4;
  if (shards > 0) {
    // lz4 unless asked otherwise: it keeps up with CRIU on one core a shard.
    if (s.compression.empty()) compression_name = "lz4";
    if (compression_name == "gzip")
      return Status::InvalidArgument(
          "gzip is too slow to stream; use --compression lz4, zstd or none with --stream");
    ASSIGN_OR_RETURN(chunk_compression, stream::ParseChunkCompression(compression_name));
  } else {
    ASSIGN_OR_RETURN(compression, archive::ParseCompression(compression_name));
  }
  int64_t created_ms = NowUnixMillis();
  int64_t created = created_ms / 1000;
  std::string ext = shards > 0 ? "" : std::string(archive::ArchiveExtension(compression));
  std::string name = s.name;
  if (name.empty()) {
    name = "dump-" + (jid.empty() ? std::to_string(pid) : jid) + "-" +
           CompactUtcStampMillis(created_ms) + ext;
  } else {
    RETURN_IF_ERROR(ValidateCheckpointName(name));
    if (name.size() < ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0)
      name += ext;
  }
  std::string location = storage::JoinLocation(dir, name);
  if (store->Stat(location).ok() || IsStreamedCheckpoint(store.get(), location))
    return Status::AlreadyExists("a checkpoint named " + location + " already exists");

  // Before the journal and the freeze: a dump that has to wait for memory
  // waits with the process running.
  MemoryBudget::Lease memory = LeaseMemory(DumpCostMib(*config_, shards), s.progress);

  ASSIGN_OR_RETURN(std::string work_path, NewWorkDir("dump"));
  WorkDir work(work_path);
  std::string images = work.path() + "/images";
  if (::mkdir(images.c_str(), 0700) != 0) return ErrnoStatus("cannot create " + images, errno);

  criu::DumpOptions dump_opts;
  dump_opts.pid = pid;
  dump_opts.images_dir = images;
  dump_opts.tcp_established = s.tcp_established;
  dump_opts.shell_job = s.shell_job;
  dump_opts.ext_unix_sk = s.ext_unix_sk;
  dump_opts.file_locks = s.file_locks;
  if (auto owner = jobs::SoleOwnerOf(pid); owner.has_value())
    dump_opts.owner = criu::DumpOptions::Owner{owner->uid, owner->gid};
  // What the checkpoint says about itself; known before anything freezes.
  archive::Manifest header;
  header.kind = shards > 0 ? "stream" : "plain";
  header.job_id = jid;
  header.job_type = job_type;
  header.pid = pid;
  header.job = spec;
  auto criu_version = engine_->Version();
  header.criu_version = criu_version.ok() ? *criu_version : "";
  header.kernel = KernelRelease();
  header.host = Hostname();
  header.created_unix = created;
  header.created = Rfc3339Utc(created);
  header.compression = shards > 0 ? stream::ChunkCompressionName(chunk_compression)
                                  : std::string(archive::CompressionName(compression));
  header.tcp_established = s.tcp_established;
  header.shell_job = s.shell_job;
  header.file_locks = s.file_locks;
  header.ext_unix_sk = s.ext_unix_sk;

  // Written before anything is frozen: if the daemon dies from here on, its
  // next start resumes the process and removes what was half written.
  DumpJournalEntry entry;
  entry.pid = pid;
  auto start_time = jobs::ProcessStartTime(pid);
  entry.start_time = start_time.ok() ? *start_time : 0;
  entry.job_id = jid;
  entry.location = location;
  entry.streamed = shards > 0;
  ASSIGN_OR_RETURN(std::string journal_id, journal_.Begin(entry));
  struct JournalScope {
    DumpJournal* journal;
    std::string id;
    ~JournalScope() { journal->End(id); }
  } journal_scope{&journal_, journal_id};

  Progress no_display;
  Progress& progress = s.progress ? *s.progress : no_display;
  auto t_freeze = std::chrono::steady_clock::now();
  STASIS_LOG(Info) << "dumping " << what << " (pid " << pid << ") to " << location
                   << (shards > 0 ? " as " + std::to_string(shards) + " streamed shards" : "");
  DumpOutcome out;
  double criu_seconds = 0;
  if (shards > 0) {
    progress.SetPhase("streaming to " + location);
    std::optional<stream::ChunkCipher> cipher;
    if (encryption_key.has_value()) {
      auto made = stream::ChunkCipher::ForNewCheckpoint(*encryption_key);
      if (!made.ok()) return made.status();
      cipher.emplace(std::move(*made));
    }
    StreamedDumpSpec spec{location,  shards,     chunk_compression,           header,
                          &progress, s.pre_dump, cipher ? &*cipher : nullptr, trust_.key()};
    auto streamed = RetryProcMountCollisions(
        what, [&] { return DumpStreamed(engine_, dump_opts, store, spec); });
    if (!streamed.ok()) {
      // The tree may be stopped (CRIU had finished) or running (it had
      // not): SIGCONT is right either way, as long as the tree exists.
      if (::kill(pid, 0) == 0) ResumeTree(pid);
      STASIS_LOG(Warn) << "streamed dump of " << what
                       << " failed; process resumed: " << streamed.status().message();
      return streamed.status().WithContext("checkpoint of " + what +
                                           " failed (the process was resumed)");
    }
    // A process not started by stasis may have changed its ids between the
    // ownership check and the freeze (a set-uid exec); the images say what
    // was frozen.
    if (!s.caller.is_root()) {
      Status frozen = CheckStreamedFrozenCreds(s.caller, store, location);
      if (!frozen.ok()) {
        Status removed = DeleteStreamed(store.get(), location);
        if (!removed.ok())
          STASIS_LOG(Error) << "cannot remove " << location << ": " << removed.message();
        ResumeTree(pid);
        return frozen.WithContext("checkpoint of " + what + " refused (the process was resumed)");
      }
    }
    criu_seconds = streamed->criu_seconds;
    // The freeze began when CRIU started, after the pre-copy.
    t_freeze = streamed->frozen_at;
    out.precopy_seconds = streamed->precopy_seconds;
    out.checkpoint.size = streamed->stored_bytes;
    out.manifest = header;
  } else {
    progress.SetPhase("checkpointing with CRIU");
    Status dumped = RetryProcMountCollisions(what, [&] {
      ClearDir(images);  // what a collided attempt left
      return engine_->Dump(dump_opts);
    });
    if (!dumped.ok()) {
      // CRIU resumes the tree when it fails while dumping, but not when the
      // failure comes after it stopped the tasks for --leave-stopped (its
      // last image, the inventory, is written then). SIGCONT is harmless to
      // a running tree, so it is sent whenever the tree is still there.
      if (::kill(pid, 0) == 0) ResumeTree(pid);
      return dumped.WithContext("checkpoint of " + what + " failed");
    }
    criu_seconds = SecondsSince(t_freeze);

    auto fail = [&](const Status& st) -> Status {
      ResumeTree(pid);
      STASIS_LOG(Warn) << "dump of " << what << " failed; process resumed: " << st.message();
      return st.WithContext("checkpoint of " + what + " failed (the process was resumed)");
    };
    // What was frozen must still be the caller's (see the streamed case).
    Status frozen = CheckImageCreds(s.caller, images);
    if (!frozen.ok()) return fail(frozen);
    auto writer = store->NewWriter(location);
    if (!writer.ok()) return fail(writer.status());
    progress.SetPhase("writing " + location);
    storage::CountingWriter counted(writer->get(), &progress);
    auto manifest =
        archive::WriteCheckpointArchive(images, header, compression, counted, trust_.key());
    if (!manifest.ok()) {
      (*writer)->Abort();
      return fail(manifest.status());
    }
    progress.SetPhase("committing " + location);
    Status committed = (*writer)->Commit();
    if (!committed.ok()) {
      (*writer)->Abort();
      return fail(committed);
    }

    out.manifest = std::move(*manifest);
    out.checkpoint.size = (*writer)->BytesWritten();
  }

  // Durably committed: now the process may go.
  out.checkpoint.job_id = jid;
  out.checkpoint.location = location;
  out.checkpoint.created = created;
  out.checkpoint.compression = header.compression;
  out.checkpoint.kind = header.kind;
  Status recorded = registry_->AddCheckpoint(out.checkpoint);
  if (!recorded.ok())
    STASIS_LOG(Error) << "checkpoint " << location
                      << " is committed but not recorded: " << recorded.message();

  if (s.leave_running) {
    ResumeTree(pid);
  } else {
    if (!jid.empty()) {
      Status marked = jobs_->MarkDumped(jid);
      if (!marked.ok()) STASIS_LOG(Error) << "cannot mark job " << jid << " dumped";
    }
    // SIGKILL to a PID-namespace init ends the whole namespace; otherwise
    // every task of the (stopped) tree is killed.
    if (spec.pid_namespace)
      ::kill(pid, SIGKILL);
    else
      jobs::SignalTree(pid, SIGKILL).ok();
  }
  out.frozen_seconds = SecondsSince(t_freeze);
  out.criu_seconds = criu_seconds;
  out.total_seconds = SecondsSince(t_start);
  STASIS_LOG(Info) << "checkpoint " << location << " committed (" << out.checkpoint.size
                   << " bytes, frozen " << out.frozen_seconds << " s)";
  return out;
}

}  // namespace stasis::daemon
