#include "common/subprocess.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/unique_fd.h"

namespace stasis {

namespace {

constexpr size_t kMaxOutput = 64 * 1024;

// Becomes `id` keeping the capabilities: KEEPCAPS across setresuid, then
// the permitted set made effective, inheritable and ambient so that it
// survives exec of a program without file capabilities. Raw syscalls: the
// forked child of a multi-threaded daemon. Returns 0 or an errno value.
int BecomeKeepingCaps(const SubprocessOptions::Identity& id) {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno;
  if (::syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
  if (::syscall(SYS_setresgid, id.gid, id.gid, id.gid) != 0) return errno;
  if (::syscall(SYS_setresuid, id.uid, id.uid, id.uid) != 0) return errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return errno;
  for (auto& d : data) {
    d.effective = d.permitted;
    d.inheritable = d.permitted;
  }
  if (::syscall(SYS_capset, &header, data) != 0) return errno;
  for (int cap = 0; cap < 64; ++cap) {
    if ((data[cap / 32].permitted & (1u << (cap % 32))) == 0) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return errno;
  }
  return 0;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(const SubprocessOptions& o, char* const* argv, int out_fd,
                            int err_pipe) {
  int in = ::open(o.stdin_path.c_str(), O_RDONLY);
  if (in >= 0) {
    ::dup2(in, 0);
    if (in != 0) ::close(in);
  }
  int out = out_fd >= 0 ? out_fd : ::open("/dev/null", O_WRONLY);
  ::dup2(out, 1);
  ::dup2(out, 2);
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
    int e = errno;
    (void)!::write(err_pipe, &e, sizeof e);
    ::_exit(127);
  }
  // Close every other descriptor except the ones to inherit and the error
  // pipe (which closes itself on exec).
  for (int fd = 3; fd < 1024; ++fd) {
    if (fd == err_pipe) continue;
    if (std::find(o.inherit_fds.begin(), o.inherit_fds.end(), fd) != o.inherit_fds.end()) {
      ::fcntl(fd, F_SETFD, 0);
      continue;
    }
    ::close(fd);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (o.as_user_with_caps.has_value()) {
    int e = BecomeKeepingCaps(*o.as_user_with_caps);
    if (e != 0) {
      (void)!::write(err_pipe, &e, sizeof e);
      ::_exit(127);
    }
  }
  ::execvp(argv[0], argv);
  int e = errno;
  (void)!::write(err_pipe, &e, sizeof e);
  ::_exit(127);
}

void KeepTail(std::string* out) {
  if (out->size() > 2 * kMaxOutput) out->erase(0, out->size() - kMaxOutput);
}

}  // namespace

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options) {
  if (options.argv.empty()) return Status::InvalidArgument("no program to run");
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out_pipe[2] = {-1, -1};
  if (options.capture_output && ::pipe2(out_pipe, O_CLOEXEC) != 0)
    return ErrnoStatus("cannot create a pipe", errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoStatus("cannot create a pipe", errno);
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("cannot fork", errno);
  if (pid == 0) ExecChild(options, argv.data(), out_w.get(), err_w.get());
  out_w.Reset();
  err_w.Reset();

  int exec_errno = 0;
  ssize_t n = ::read(err_r.get(), &exec_errno, sizeof exec_errno);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    ::waitpid(pid, nullptr, 0);
    return Status(exec_errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIOError,
                  "cannot run " + options.argv[0] + ": " + std::strerror(exec_errno));
  }

  SubprocessResult result;
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(options.timeout_seconds);
  bool killed = false;
  if (out_r.valid()) {
    char buf[16384];
    for (;;) {
      int wait_ms = -1;
      if (options.timeout_seconds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
      }
      struct pollfd pfd = {out_r.get(), POLLIN, 0};
      int pr = ::poll(&pfd, 1, wait_ms);
      if (pr < 0 && errno == EINTR) continue;
      if (pr == 0) {
        ::kill(pid, SIGKILL);
        killed = true;
        break;
      }
      ssize_t got = ::read(out_r.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      result.output.append(buf, static_cast<size_t>(got));
      KeepTail(&result.output);
    }
  }
  int status = 0;
  for (;;) {
    int flags = (options.timeout_seconds > 0 && !killed) ? WNOHANG : 0;
    pid_t w = ::waitpid(pid, &status, flags);
    if (w < 0 && errno == EINTR) continue;
    if (w == 0) {  // still running without output: wait for the deadline
      if (Clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        killed = true;
      } else {
        ::usleep(10000);
      }
      continue;
    }
    if (w < 0) return ErrnoStatus("cannot wait for " + options.argv[0], errno);
    break;
  }
  if (result.output.size() > kMaxOutput) result.output.erase(0, result.output.size() - kMaxOutput);
  result.timed_out = killed;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = -1;
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace stasis
