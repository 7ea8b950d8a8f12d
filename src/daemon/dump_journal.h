// Dumps in progress, on disk. The daemon can die in the middle of a dump
// (SIGKILL, the OOM killer, a crash) with the process frozen by CRIU and a
// checkpoint half written. Each dump writes an entry before anything is
// frozen and removes it when it is over, whatever the outcome; at the next
// start the daemon finishes what the entries left: the process is resumed,
// and the pieces of a checkpoint that was never committed are removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace stasis::daemon {

struct DumpJournalEntry {
  std::string id;  // the entry's file name stem; set by Begin()
  int pid = 0;
  uint64_t start_time = 0;  // of pid (/proc/PID/stat), so a reused pid is not touched
  std::string job_id;       // "" for an unmanaged process
  std::string location;     // where the checkpoint was being written
  bool streamed = false;    // a prefix of shards (else one archive)
};

class DumpJournal {
 public:
  explicit DumpJournal(std::string dir) : dir_(std::move(dir)) {}

  // Durably records `entry` (0600 file, fsynced, renamed into place) and
  // returns its id.
  Result<std::string> Begin(DumpJournalEntry entry);
  // Forgets an entry; logged, never fails the caller.
  void End(const std::string& id);
  // The entries a previous run left. Unreadable ones are skipped (logged).
  std::vector<DumpJournalEntry> Pending() const;

 private:
  std::string dir_;
};

}  // namespace stasis::daemon
