#include "jobs/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace stasis::jobs {

namespace {

// What the child was doing when it failed; sent to the parent with errno.
enum class Stage : int { kChdir = 1, kStdio, kExec, kIdentity };

// What a job gets when its caller sent no environment: never the daemon's
// own, which holds its credentials.
constexpr char kMinimalPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct Failure {
  Stage stage;
  int err;
};

// Everything the child needs, prepared by the parent: after clone() in a
// multi-threaded daemon the child may only make async-signal-safe calls.
struct ChildArgs {
  const char* cwd;  // nullptr: stay
  char* const* argv;
  char* const* envp;
  int null_fd;    // /dev/null, >= 3
  int log_fd;     // the job log, >= 3
  int report_fd;  // CLOEXEC pipe: carries a Failure if exec never happens
  // Non-root jobs: the caller's ids, taken before anything else is done.
  bool drop;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t group_count;
};

[[noreturn]] void Fail(const ChildArgs& a, Stage stage, int err) {
  Failure f{stage, err};
  (void)!::write(a.report_fd, &f, sizeof f);
  ::_exit(127);
}

void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  // Fails harmlessly for SIGKILL, SIGSTOP and the signals glibc reserves.
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Marks every fd from 3 up close-on-exec, so the report pipe still works
// until exec succeeds and the job inherits none of the daemon's fds.
void CloseInheritedFds() {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  struct rlimit lim {};
  rlim_t max = ::getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 1024;
  for (rlim_t fd = 3; fd < max && fd < (1u << 20); ++fd)
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

// Becomes the caller: groups, gid, then uid (after which nothing else could
// be changed), and no_new_privs so no setuid program regains what was
// dropped. Raw syscalls: glibc's wrappers would try to reach the daemon's
// other threads, which do not exist in this child.
int DropToCaller(const ChildArgs& a) {
  if (::syscall(SYS_setgroups, a.group_count, a.groups) != 0) return errno;
  if (::syscall(SYS_setresgid, a.gid, a.gid, a.gid) != 0) return errno;
  if (::syscall(SYS_setresuid, a.uid, a.uid, a.uid) != 0) return errno;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

// Runs as pid 1 of the new namespace. setsid() because CRIU dumps a session
// leader inside the tree but refuses a session led from outside it.
int ChildMain(void* p) {
  const ChildArgs& a = *static_cast<ChildArgs*>(p);
  ::setsid();
  ResetSignals();
  if (a.drop) {
    int err = DropToCaller(a);
    if (err != 0) Fail(a, Stage::kIdentity, err);
  }
  if (a.cwd != nullptr && ::chdir(a.cwd) != 0) Fail(a, Stage::kChdir, errno);
  // The sources are >= 3, so dup2 always makes a fresh, inheritable copy.
  if (::dup2(a.null_fd, 0) < 0 || ::dup2(a.log_fd, 1) < 0 || ::dup2(a.log_fd, 2) < 0)
    Fail(a, Stage::kStdio, errno);
  CloseInheritedFds();
  ::execvpe(a.argv[0], a.argv, a.envp);
  Fail(a, Stage::kExec, errno);
}

// Moves `fd` to 3 or above (keeping CLOEXEC) so that the child's dup2 onto
// 0-2 can never clobber it, even if the daemon runs with 0-2 closed.
Status AboveStdio(UniqueFd* fd, const std::string& what) {
  if (fd->get() >= 3) return Status::OK();
  int moved = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return ErrnoStatus("cannot start job: " + what, errno);
  fd->Reset(moved);
  return Status::OK();
}

std::string Describe(const JobSpec& spec, const Failure& f) {
  const std::string& prog = spec.argv[0];
  switch (f.stage) {
    case Stage::kChdir:
      return "cannot start job: " + prog + ": cannot enter directory " + spec.cwd;
    case Stage::kStdio:
      return "cannot start job: " + prog + ": cannot set up stdin/stdout/stderr";
    case Stage::kIdentity:
      return "cannot start job: " + prog + ": cannot switch to uid " + std::to_string(spec.uid);
    case Stage::kExec:
      break;
  }
  return "cannot start job: " + prog;
}

}  // namespace

Result<int> SpawnJob(const JobSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("cannot start job: no command given");
  if (spec.log_path.empty()) return Status::InvalidArgument("cannot start job: no log file given");

  // Opened here, not in the child, so that errors are reported clearly.
  UniqueFd log(::open(spec.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!log.valid()) return ErrnoStatus("cannot open the job log " + spec.log_path, errno);
  RETURN_IF_ERROR(AboveStdio(&log, "log file"));
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null.valid()) return ErrnoStatus("cannot start job: /dev/null", errno);
  RETURN_IF_ERROR(AboveStdio(&null, "/dev/null"));

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("cannot start job: pipe", errno);
  UniqueFd report_r(fds[0]), report_w(fds[1]);
  RETURN_IF_ERROR(AboveStdio(&report_w, "pipe"));

  std::vector<char*> argv, envp;
  for (const auto& s : spec.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (const auto& s : spec.env) envp.push_back(const_cast<char*>(s.c_str()));
  if (spec.env.empty()) envp.push_back(const_cast<char*>(kMinimalPath));
  envp.push_back(nullptr);
  std::vector<gid_t> groups(spec.groups.begin(), spec.groups.end());

  ChildArgs args{spec.cwd.empty() ? nullptr : spec.cwd.c_str(),
                 argv.data(),
                 envp.data(),
                 null.get(),
                 log.get(),
                 report_w.get(),
                 spec.uid != 0,
                 static_cast<uid_t>(spec.uid),
                 static_cast<gid_t>(spec.gid),
                 groups.data(),
                 groups.size()};
  // Without CLONE_VM the child runs on its own copy of this stack.
  std::vector<char> stack(256 * 1024);
  int flags = SIGCHLD | (spec.pid_namespace ? CLONE_NEWPID : 0);
  int pid = ::clone(ChildMain, stack.data() + stack.size(), flags, &args);
  if (pid < 0) return ErrnoStatus("cannot start job: " + spec.argv[0], errno);
  report_w.Reset();

  // EOF means exec succeeded (the CLOEXEC write end closed with it).
  Failure f{};
  ssize_t n;
  do {
    n = ::read(report_r.get(), &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof f)) return pid;

  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  Status st = ErrnoStatus(Describe(spec, f), f.err);
  // The log is where users look when a job is gone; say why there too.
  std::string line = "stasis: " + st.message() + "\n";
  (void)!::write(log.get(), line.data(), line.size());
  return st;
}

}  // namespace stasis::jobs
