// Whether a caller may checkpoint a process it did not start through the
// daemon ("dump process PID"). A checkpoint holds the whole memory of every
// task, so a non-root caller may take only what it could read with ptrace
// itself: the rule of ptrace(2) "Ptrace access mode checking".
#pragma once

#include <optional>

#include "common/caller.h"
#include "common/status.h"

namespace stasis::jobs {

// OK when every task (every thread of `pid` and of each descendant) is the
// caller's:
//  - real, effective, saved and filesystem uid are caller.uid, and real,
//    effective, saved and filesystem gid are the caller's gid or one of its
//    groups (a set-id program is someone else's);
//  - no capability in CapPrm, CapEff or CapAmb;
//  - dumpable: a process that changed its ids or cleared its dumpable flag
//    (prctl(PR_SET_DUMPABLE, 0)) may hold someone else's secrets, and
//    ptrace refuses it to its owner for that reason.
// Always OK for a root caller. PermissionDenied with one sentence naming
// the first task refused; NotFound if `pid` does not exist or ends during
// the check. Tasks of the tree that end during the check are skipped: they
// will not be in the checkpoint. The tree may change after the check; the
// caller must freeze and check again, or accept that window.
Status CheckTreeOwnedBy(int pid, const Caller& caller);

// The one non-root user every task of the tree belongs to (by the rule
// above, with the root task's uid and gid), or nullopt: root's, mixed, or
// gone.
std::optional<Caller> SoleOwnerOf(int pid);

}  // namespace stasis::jobs
