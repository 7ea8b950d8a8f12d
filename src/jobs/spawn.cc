#include "jobs/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/unique_fd.h"

extern char** environ;

namespace stasis::jobs {

namespace {

struct ChildArgs {
  const JobSpec* spec;
  char* const* argv;
  char* const* envp;  // nullptr: inherit
  int log_fd;
  int err_fd;  // CLOEXEC pipe: the child writes errno here if exec fails
};

[[noreturn]] void Fail(int err_fd, int err) {
  (void)!::write(err_fd, &err, sizeof err);
  ::_exit(127);
}

// pid 1 of the new namespace. setsid() first: CRIU dumps a session leader
// inside the tree, but refuses a session that leads outside it.
int ChildMain(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  ::setsid();
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!a->spec->cwd.empty() && ::chdir(a->spec->cwd.c_str()) != 0) Fail(a->err_fd, errno);
  int in = ::open("/dev/null", O_RDONLY);
  if (in < 0) Fail(a->err_fd, errno);
  ::dup2(in, 0);
  ::dup2(a->log_fd, 1);
  ::dup2(a->log_fd, 2);
  for (int fd = 3; fd < 1024; ++fd)
    if (fd != a->err_fd) ::close(fd);
  ::execvpe(a->argv[0], a->argv, a->envp ? a->envp : environ);
  Fail(a->err_fd, errno);
}

}  // namespace

Result<int> SpawnJob(const JobSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("no command to run");
  UniqueFd log(::open(spec.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!log.valid()) return ErrnoStatus("cannot open the job log " + spec.log_path, errno);

  std::vector<char*> argv, envp;
  for (const auto& s : spec.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (const auto& s : spec.env) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return ErrnoStatus("cannot create a pipe", errno);
  UniqueFd err_r(pipefd[0]), err_w(pipefd[1]);

  ChildArgs args{&spec, argv.data(), spec.env.empty() ? nullptr : envp.data(), log.get(),
                 err_w.get()};
  constexpr size_t kStackSize = 256 * 1024;
  std::vector<char> stack(kStackSize);
  int pid = ::clone(ChildMain, stack.data() + stack.size(), CLONE_NEWPID | SIGCHLD, &args);
  if (pid < 0) return ErrnoStatus("cannot start job " + spec.argv[0], errno);
  err_w.Reset();

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_r.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return Status(child_errno == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  "cannot start job: " + spec.argv[0] + ": " + std::strerror(child_errno));
  }
  return pid;
}

}  // namespace stasis::jobs
