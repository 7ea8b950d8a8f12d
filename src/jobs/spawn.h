// Starting managed jobs: each in its own PID namespace, as its session
// leader, with stdin from /dev/null and stdout/stderr appended to its log.
#pragma once

#include "common/job_spec.h"
#include "common/result.h"

namespace stasis::jobs {

// Starts spec.argv with clone(CLONE_NEWPID); the child is pid 1 of the new
// namespace and calls setsid() before exec, because CRIU refuses a session
// leader outside the namespace. A job of a non-root owner (spec.uid) runs
// with the owner's uid, gid and groups and no_new_privs, and enters
// spec.cwd as the owner. Its environment is spec.env, or only a PATH when
// that is empty: never the daemon's. Returns the host pid. Fails (nothing left
// running) if the program cannot be executed; the log says why.
// REQUIRES: the caller is a child subreaper or will reap the pid itself.
Result<int> SpawnJob(const JobSpec& spec);

}  // namespace stasis::jobs
