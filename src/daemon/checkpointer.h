// Checkpointer: dump and restore, where the safety rules live.
//
// Dump: CRIU leaves the tree stopped; the archive is streamed into storage
// and committed; only then is the tree killed (or resumed with
// --leave-running). On any failure the tree is resumed and the partial
// object aborted. Restore: the archive is verified completely before CRIU
// starts anything; a failed restore leaves no process behind.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "archive/manifest.h"
#include "common/caller.h"
#include "common/memory_budget.h"
#include "common/progress.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "config/config.h"
#include "criu/engine.h"
#include "daemon/checkpoint_trust.h"
#include "daemon/dump_journal.h"
#include "daemon/job_manager.h"
#include "jobs/job_record.h"
#include "storage/storage.h"

namespace stasis::daemon {

struct DumpTarget {
  std::string job_id;  // set for `dump job`
  int pid = 0;         // set for `dump process`
};

struct DumpSettings {
  std::string dir;          // "" = config
  std::string compression;  // "" = config
  std::string name;         // "" = generated
  bool leave_running = false;
  bool tcp_established = false;
  bool shell_job = false;
  bool ext_unix_sk = false;
  bool file_locks = false;
  int stream = -1;               // shards; 0 = one archive; -1 = config checkpoint.stream
  bool pre_dump = false;         // pre-copy memory first (streamed only)
  Progress* progress = nullptr;  // phases and bytes, for the CLI's display
  Caller caller;                 // who asked: non-root may dump only what is theirs
};

struct DumpOutcome {
  jobs::CheckpointRecord checkpoint;
  archive::Manifest manifest;
  double criu_seconds = 0;
  double frozen_seconds = 0;
  double total_seconds = 0;
  double precopy_seconds = 0;  // --pre-dump: the rounds while the process ran
};

struct RestoreSettings {
  std::string job_id;   // restore job
  std::string path;     // a checkpoint location
  std::string dir;      // where to look for the job's latest checkpoint
  std::string new_jid;  // restore process: id for the new job
  Progress* progress = nullptr;
  Caller caller;                // non-root restores only signed checkpoints of their own
  bool trust_unsigned = false;  // root only: accept an unauthenticated checkpoint
};

struct RestoreOutcome {
  jobs::JobRecord job;
  double criu_seconds = 0;
  double total_seconds = 0;
  std::string unauthenticated;  // the warning, when restored without authentication
};

// What a listing shows about one checkpoint.
struct CheckpointSummary {
  jobs::CheckpointRecord record;
  archive::Manifest header;  // files empty; from the archive's head
  std::string authenticity;  // AuthenticityName(), "" when not read from storage
  Authenticity verdict = Authenticity::kUnsigned;
  bool encrypted = false;  // authenticated by its encryption key
};

class Checkpointer {
 public:
  // `signing_key` signs every checkpoint (nullptr: none are signed).
  Checkpointer(const config::Config* config, criu::Engine* engine, JobManager* jobs,
               jobs::Registry* registry, const stream::SigningKey* signing_key);

  Result<DumpOutcome> Dump(const DumpTarget& target, const DumpSettings& settings);
  Result<RestoreOutcome> Restore(const RestoreSettings& settings);

  // Checkpoints found under a storage directory, newest first; a non-root
  // caller sees only its own (checkpoint_catalog.cc).
  Result<std::vector<CheckpointSummary>> ListDir(const std::string& dir, const Caller& caller);
  // Checkpoints the registry knows for a job, newest first.
  Result<std::vector<CheckpointSummary>> ListJob(const std::string& jid, const Caller& caller);
  Result<CheckpointSummary> Inspect(const std::string& location, const Caller& caller);
  // Non-root callers delete only signed checkpoints of their own.
  Status Delete(const std::string& location, const Caller& caller);
  const stream::SigningKey* signing_key() const { return trust_.key(); }
  // At start: resumes what dumps of an earlier run left frozen and removes
  // their unfinished checkpoints (dump_recovery.h).
  void RecoverInterruptedDumps();

 private:
  // Waits, with the progress saying so, until `mib` of the budget is free.
  MemoryBudget::Lease LeaseMemory(int64_t mib, Progress* progress);
  // The storage for `location`, reached with the caller's own file rights
  // when it is local and the caller is not root.
  Result<std::shared_ptr<storage::Storage>> StorageFor(const std::string& location,
                                                       const Caller& caller);
  // One checkpoint's description, read from storage and authenticated.
  Result<CheckpointSummary> Describe(storage::Storage* store, const std::string& location,
                                     bool is_prefix, uint64_t size_if_known);
  // The newest checkpoint of `jid` that the restore `s` would accept.
  Result<std::string> LatestLocationFor(const std::string& jid, const RestoreSettings& s);
  // For a non-root caller, the task credentials in the images must all be
  // the caller's (criu/image_creds.h): before a restore, and after a dump
  // froze the tree. OK for root.
  Status CheckImageCreds(const Caller& caller, const std::string& images_dir);
  Status CheckStreamedImageCreds(const Caller& caller,
                                 const std::shared_ptr<storage::Storage>& store,
                                 const std::string& location,
                                 const stream::StreamManifest& manifest,
                                 const stream::ChunkCipher* cipher);
  // The same, reading the committed streamed checkpoint at `location`.
  Status CheckStreamedFrozenCreds(const Caller& caller,
                                  const std::shared_ptr<storage::Storage>& store,
                                  const std::string& location);
  Result<std::string> NewWorkDir(const std::string& prefix);
  // Registers a restored tree as job `jid` and times the restore.
  Result<RestoreOutcome> AdoptRestored(const std::string& jid, const JobSpec& spec,
                                       const archive::Manifest& manifest, int pid,
                                       std::chrono::steady_clock::time_point t_criu,
                                       std::chrono::steady_clock::time_point t_start,
                                       const std::string& unauthenticated);
  // Gives the restored tree this job's log in place of the dumped one.
  Status HandOverJobLog(const std::string& jid, const archive::Manifest& manifest, JobSpec* spec,
                        criu::RestoreOptions* opts, UniqueFd* log_fd);
  Result<RestoreOutcome> RestoreFromStream(const RestoreSettings& s, const std::string& jid,
                                           const std::string& location,
                                           const std::shared_ptr<storage::Storage>& store,
                                           std::chrono::steady_clock::time_point t_start);

  const config::Config* config_;
  criu::Engine* engine_;
  JobManager* jobs_;
  jobs::Registry* registry_;
  CheckpointTrust trust_;
  DumpJournal journal_;  // dumps in progress, for recovery after a crash
  MemoryBudget memory_;  // config memory.budget_mib, leased per dump and restore
};

// True for names stasis gives plain checkpoints: dump-*.tar[.gz|.lz4|.zst].
bool LooksLikeCheckpointName(const std::string& name);

}  // namespace stasis::daemon
