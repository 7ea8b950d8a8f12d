// Starting managed jobs: each in its own PID namespace, as its session
// leader, with stdin from /dev/null and stdout/stderr appended to its log.
#pragma once

#include "common/job_spec.h"
#include "common/result.h"

namespace stasis::jobs {

// Starts spec.argv with clone(), in a PID namespace of its own when
// spec.pid_namespace (the child is then its pid 1), as a session leader
// (setsid() before exec: CRIU refuses a session led from outside the tree). A job of a non-root
// owner (spec.uid) runs with the owner's uid, gid and groups and no_new_privs, and enters spec.cwd
// as the owner. Its environment is spec.env, or only a PATH when that is empty: never the daemon's.
// Returns the host pid. Fails (nothing left running) if the program cannot be executed; the log
// says why. REQUIRES: the caller is a child subreaper or will reap the pid itself.
Result<int> SpawnJob(const JobSpec& spec);

}  // namespace stasis::jobs
