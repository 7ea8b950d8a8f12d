// Acting on files with a caller's rights. The daemon runs as root; for a
// non-root Caller, file access must be checked as that caller, and files it
// creates must be the caller's. The kernel checks file access against the
// filesystem ids of the calling *thread* (fsuid, fsgid, supplementary
// groups), and changing fsuid from 0 drops CAP_DAC_OVERRIDE, CAP_FOWNER and
// the other file capabilities from the thread's effective set
// (capabilities(7)), so switching just those ids makes open(), mkdir(),
// rename() ... behave exactly as for the caller, on this thread only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/caller.h"
#include "common/status.h"

namespace stasis {

// RAII: while alive, the constructing thread has `caller`'s filesystem
// identity; the destructor restores the thread's previous one. Does nothing
// for a root caller. Other threads of the process are never affected.
//
//   ScopedFsIdentity as_caller(caller);
//   if (!as_caller.ok()) return as_caller.status();
//   ... open files as the caller ...
//
// REQUIRES: constructed and destroyed on the same thread, with nothing else
// changing this thread's ids in between (hence neither copyable nor
// movable: a moved scope could end on another thread). Threads started while
// a scope is alive inherit the caller's identity.
// If the switch did not take completely, status() says so and the thread is
// left as it was. If the old identity cannot be restored the process aborts:
// a daemon thread quietly left as someone else would hand that user files
// it later creates for root or for other users.
class ScopedFsIdentity {
 public:
  explicit ScopedFsIdentity(const Caller& caller);
  ~ScopedFsIdentity();
  ScopedFsIdentity(const ScopedFsIdentity&) = delete;
  ScopedFsIdentity& operator=(const ScopedFsIdentity&) = delete;

  // OK when the thread now acts as the caller (always, for root).
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  Status Enter(const Caller& caller);
  void Restore();

  bool switched_ = false;  // a step was taken that Restore() must undo
  uid_t saved_fsuid_ = 0;
  gid_t saved_fsgid_ = 0;
  std::vector<gid_t> saved_groups_;
  Status status_;
};

// OK when `caller` may access `path` with `mode` (R_OK, W_OK, X_OK, or
// F_OK), judged by the kernel with the caller's ids: faccessat2(AT_EACCESS)
// inside a ScopedFsIdentity. Otherwise one sentence, e.g. PermissionDenied
// "uid 1001 cannot write to /etc: Permission denied", or NotFound.
Status CheckAccessAs(const Caller& caller, const std::string& path, int mode);

}  // namespace stasis
