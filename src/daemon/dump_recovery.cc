#include "daemon/dump_recovery.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.h"
#include "daemon/streamed_checkpoint.h"
#include "jobs/process_tree.h"
#include "storage/storage_registry.h"

namespace stasis::daemon {

namespace {

// How long an orphaned CRIU (its daemon died under it) may keep holding
// the tree before we resume it anyway.
constexpr auto kCriuGrace = std::chrono::seconds(120);

bool Traced(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("TracerPid:")) return std::stoi(line.substr(10)) != 0;
  return false;
}

bool AnyTraced(int root) {
  for (int pid : jobs::ProcessTree(root))
    if (Traced(pid)) return true;
  return false;
}

void ResumeProcess(const DumpJournalEntry& e) {
  if (!jobs::ProcessAlive(e.pid, e.start_time)) return;
  auto deadline = std::chrono::steady_clock::now() + kCriuGrace;
  while (AnyTraced(e.pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Status st = jobs::SignalTree(e.pid, SIGCONT);
  std::string what =
      e.job_id.empty() ? "process " + std::to_string(e.pid) : "job '" + e.job_id + "'";
  if (st.ok())
    STASIS_LOG(Warn) << "resumed " << what << " (pid " << e.pid
                     << "): the daemon had stopped in the middle of its dump";
  else
    STASIS_LOG(Error) << "cannot resume " << what << " (pid " << e.pid << "): " << st.message();
}

// True when nothing is left to do for the entry.
bool RemoveUnfinished(const DumpJournalEntry& e) {
  auto store = storage::StorageFor(e.location);
  if (!store.ok()) {
    STASIS_LOG(Error) << "cannot clean up the interrupted dump at " << e.location << ": "
                      << store.status().message();
    return false;
  }
  storage::Storage* s = store->get();
  bool committed = e.streamed ? IsStreamedCheckpoint(s, e.location) : s->Stat(e.location).ok();
  if (committed) {
    STASIS_LOG(Info) << "the interrupted dump had committed " << e.location << "; it is kept";
    return true;
  }
  if (e.streamed) {
    // Committed shards of a checkpoint that never got its manifest.
    auto listed = s->List(e.location);
    if (listed.ok())
      for (const auto& o : *listed)
        if (!o.is_dir) s->Remove(o.location).ok();
  }
  Status st = s->RemoveIncomplete(e.location);
  if (e.streamed) s->Remove(e.location).ok();  // the local directory, once empty
  if (!st.ok()) {
    STASIS_LOG(Error) << "cannot clean up the interrupted dump at " << e.location << ": "
                      << st.message() << " (retried at the next start)";
    return false;
  }
  STASIS_LOG(Warn) << "removed the unfinished checkpoint " << e.location
                   << " of an interrupted dump";
  return true;
}

}  // namespace

void RecoverInterruptedDumps(DumpJournal* journal, const std::string& work_dir) {
  for (const DumpJournalEntry& e : journal->Pending()) {
    ResumeProcess(e);
    if (RemoveUnfinished(e)) journal->End(e.id);
  }
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator(work_dir, ec))
    std::filesystem::remove_all(d.path(), ec);
}

}  // namespace stasis::daemon
