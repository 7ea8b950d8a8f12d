#include "common/fs_identity.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace stasis {

namespace {

// Raw syscalls, never the glibc wrappers: glibc's setgroups() (like
// setuid()) is applied to every thread of the process, which in a
// multi-threaded daemon would hand one caller's groups to all requests.
// setfsuid/setfsgid return the previous id, never an error; passing -1
// (invalid) changes nothing and so reads the current one.
#ifdef SYS_setfsuid32
constexpr long kSetFsUid = SYS_setfsuid32;
constexpr long kSetFsGid = SYS_setfsgid32;
constexpr long kSetGroups = SYS_setgroups32;
constexpr long kGetGroups = SYS_getgroups32;
#else
constexpr long kSetFsUid = SYS_setfsuid;
constexpr long kSetFsGid = SYS_setfsgid;
constexpr long kSetGroups = SYS_setgroups;
constexpr long kGetGroups = SYS_getgroups;
#endif

constexpr uid_t kNoId = static_cast<uid_t>(-1);

uid_t SetFsUid(uid_t uid) {
  return static_cast<uid_t>(::syscall(kSetFsUid, uid));
}
gid_t SetFsGid(gid_t gid) {
  return static_cast<gid_t>(::syscall(kSetFsGid, gid));
}
uid_t CurrentFsUid() {
  return SetFsUid(kNoId);
}
gid_t CurrentFsGid() {
  return SetFsGid(static_cast<gid_t>(-1));
}

int SetGroups(const std::vector<gid_t>& groups) {
  return static_cast<int>(::syscall(kSetGroups, groups.size(), groups.data()));
}

// This thread's supplementary groups (getgroups reads the thread's creds).
Status GetGroups(std::vector<gid_t>* out) {
  long n = ::syscall(kGetGroups, 0, nullptr);
  if (n < 0) return ErrnoStatus("cannot read the daemon's groups", errno);
  out->resize(static_cast<size_t>(n));
  n = ::syscall(kGetGroups, out->size(), out->data());
  if (n < 0) return ErrnoStatus("cannot read the daemon's groups", errno);
  out->resize(static_cast<size_t>(n));
  return Status::OK();
}

// The capabilities that bypass file permission checks. The kernel drops
// them from the effective set when fsuid leaves 0, unless the process set
// SECBIT_NO_SETUID_FIXUP; without that drop the caller's fsuid would only
// change file ownership, not access, so it is checked, not assumed.
constexpr uint32_t kFileCaps = (1u << CAP_CHOWN) | (1u << CAP_DAC_OVERRIDE) |
                               (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER) |
                               (1u << CAP_FSETID);

// OK when none of kFileCaps is effective on this thread (capget with pid 0
// reads the calling thread).
Status CheckFileCapsDropped() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0)
    return ErrnoStatus("cannot read the daemon's capabilities", errno);
  if ((data[0].effective & kFileCaps) != 0)
    return Status::Internal(
        "the daemon kept its file capabilities after changing its filesystem uid "
        "(SECBIT_NO_SETUID_FIXUP?), so it cannot act with a caller's rights");
  return Status::OK();
}

}  // namespace

ScopedFsIdentity::ScopedFsIdentity(const Caller& caller) {
  if (caller.is_root()) return;
  status_ = Enter(caller);
  if (!status_.ok()) {
    Restore();
    status_ = status_.WithContext("cannot act as " + caller.Describe());
  }
}

ScopedFsIdentity::~ScopedFsIdentity() {
  if (status_.ok()) Restore();
}

Status ScopedFsIdentity::Enter(const Caller& caller) {
  if (caller.uid == kNoId || caller.gid == static_cast<gid_t>(-1))
    return Status::InvalidArgument("the caller has no valid uid or gid");
  saved_fsuid_ = CurrentFsUid();
  saved_fsgid_ = CurrentFsGid();
  RETURN_IF_ERROR(GetGroups(&saved_groups_));

  // Groups and fsgid first, fsuid last: the fsuid switch is what takes the
  // file capabilities away, so once it is done the thread is wholly the
  // caller; Restore() undoes it first, giving them back before the rest.
  switched_ = true;
  if (SetGroups(caller.groups) != 0) return ErrnoStatus("setgroups", errno);
  SetFsGid(caller.gid);
  if (CurrentFsGid() != caller.gid) return Status::PermissionDenied("setfsgid did not take");
  SetFsUid(caller.uid);
  if (CurrentFsUid() != caller.uid) return Status::PermissionDenied("setfsuid did not take");
  return CheckFileCapsDropped();
}

void ScopedFsIdentity::Restore() {
  if (!switched_) return;
  switched_ = false;
  SetFsUid(saved_fsuid_);
  SetFsGid(saved_fsgid_);
  bool groups_ok = SetGroups(saved_groups_) == 0;
  if (groups_ok && CurrentFsUid() == saved_fsuid_ && CurrentFsGid() == saved_fsgid_) return;
  // Unreachable for a daemon running as root; if it ever happens, carrying
  // on would let this thread create root's files as another user.
  STASIS_LOG(Error) << "cannot restore the daemon's filesystem identity (fsuid " << CurrentFsUid()
                    << ", fsgid " << CurrentFsGid() << "); aborting";
  std::abort();
}

namespace {

// "read", "write to", "read and write to", ... for a faccessat mode.
std::string AccessVerb(int mode) {
  std::string out;
  auto add = [&out](const char* verb) {
    if (!out.empty()) out += " and ";
    out += verb;
  };
  if (mode & R_OK) add("read");
  if (mode & W_OK) add("write to");
  if (mode & X_OK) add("execute");
  return out.empty() ? "find" : out;
}

// For kernels before 5.8 (no faccessat2; glibc's own fallback for
// AT_EACCESS assumes euid 0 may do anything). stat() under the caller's
// identity checks the path's directories; mode bits judge the last step.
// ACLs are not consulted.
int EmulatedAccess(const Caller& caller, const std::string& path, int mode) {
  if (caller.is_root()) return ::faccessat(AT_FDCWD, path.c_str(), mode, 0) == 0 ? 0 : errno;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno;
  unsigned bits = st.st_uid == caller.uid     ? (st.st_mode >> 6) & 7
                  : caller.InGroup(st.st_gid) ? (st.st_mode >> 3) & 7
                                              : st.st_mode & 7;
  unsigned want = static_cast<unsigned>(mode) & 7;
  if ((bits & want) != want) return EACCES;
  struct statvfs vfs {};
  if ((mode & W_OK) && ::statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return EROFS;
  return 0;
}

}  // namespace

Status CheckAccessAs(const Caller& caller, const std::string& path, int mode) {
  ScopedFsIdentity as_caller(caller);
  if (!as_caller.ok()) return as_caller.status();
  // AT_EACCESS: judge with the thread's filesystem ids and effective
  // capabilities (the caller's, now), not with the real uid (root's).
  int err = 0;
  if (::syscall(SYS_faccessat2, AT_FDCWD, path.c_str(), mode, AT_EACCESS) != 0) err = errno;
  if (err == ENOSYS) err = EmulatedAccess(caller, path, mode);
  if (err == 0) return Status::OK();
  return ErrnoStatus(caller.Describe() + " cannot " + AccessVerb(mode) + " " + path, err);
}

}  // namespace stasis
