// Turning a failed CRIU run into one sentence a user can act on: the first
// error line of CRIU's log and, when the log shows it, the flag that helps.
#pragma once

#include <string>

#include "common/status.h"

namespace stasis::criu {

// `action` is "dump" or "restore"; `log_path` is CRIU's -o log; `output`
// is what CRIU printed; `pid` is the dumped pid (0 for restore).
Status CriuFailure(const std::string& action, const std::string& log_path,
                   const std::string& output, int pid);

// A dump that failed because another CRIU was mounting /proc in the same
// place: CRIU's parasite mounts it at "proc.crtools" in the dumped task's
// working directory (when the task's PID namespace is not /proc's, as for
// every stasis job), so dumps of two jobs started in one directory can
// collide (EEXIST). Nothing was dumped yet and CRIU resumed the tree, so
// the dump may simply be run again.
bool IsProcMountCollision(const Status& st);

// The first "Error (" line of `log_text`, without CRIU's "(00.012345) Error
// (file.c:123): " prefix; "" when there is none.
std::string FirstErrorLine(const std::string& log_text);

}  // namespace stasis::criu
