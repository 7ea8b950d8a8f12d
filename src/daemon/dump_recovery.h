// What the daemon does at start about dumps an earlier run did not finish
// (see dump_journal.h): every process such a dump froze is resumed, once
// any CRIU still attached to it has let go, and the pieces of a checkpoint
// that was never committed (shards without a manifest, temp files, open
// multipart uploads) are removed. A committed checkpoint is kept.
#pragma once

#include <string>

#include "daemon/dump_journal.h"

namespace stasis::daemon {

// Handles every pending entry; an entry whose storage cannot be reached
// stays for the next start (its process is resumed regardless). Also
// empties `work_dir`, where interrupted operations left CRIU images.
void RecoverInterruptedDumps(DumpJournal* journal, const std::string& work_dir);

}  // namespace stasis::daemon
