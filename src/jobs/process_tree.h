// Looking at and signalling process trees through /proc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace stasis::jobs {

// The whole of a /proc file opened as `fd`. Reading a process's file after
// the process is reaped fails with ESRCH: that is an error Status here, where
// an ifstream's streambuf would throw even with exceptions off.
Result<std::string> ReadProcFile(int fd);
// /proc/<pid>/stat field 22 (start time in clock ticks); NotFound if gone.
Result<uint64_t> ProcessStartTime(int pid);
// True when `pid` exists, is not a zombie, and (if start_time != 0) started at start_time.
bool ProcessAlive(int pid, uint64_t start_time);
// `pid` and all its descendants (via /proc/<pid>/task/*/children), parents first.
std::vector<int> ProcessTree(int pid);
// Sends `sig` to every process of the tree. Errors for vanished tasks are ignored.
Status SignalTree(int pid, int sig);
// Stops a job: SIGTERM to the tree, waits up to `grace_ms` for the root to
// go, then SIGKILL to the tree (for a PID-namespace init, SIGKILL to it ends
// the whole namespace; its init ignores SIGTERM without a handler).
Status TerminateTree(int pid, int grace_ms);

}  // namespace stasis::jobs
