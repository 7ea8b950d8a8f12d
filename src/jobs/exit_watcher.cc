#include "jobs/exit_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace stasis::jobs {

namespace {

// P_PIDFD from linux/wait.h; glibc 2.36's idtype_t does not name it yet.
constexpr int kPidfdIdType = 3;

int PidfdOpen(int pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Reaps `pid` if it is our child and says how it ended.
ExitInfo Reap(int pidfd) {
  ExitInfo info;
  siginfo_t si{};
  if (::waitid(static_cast<idtype_t>(kPidfdIdType), static_cast<id_t>(pidfd), &si, WEXITED) != 0)
    return info;  // not our child: someone else reaps it
  info.known = true;
  if (si.si_code == CLD_EXITED)
    info.exit_code = si.si_status;
  else
    info.signal = si.si_status;
  return info;
}

}  // namespace

struct ExitWatcher::Impl {
  UniqueFd stop{::eventfd(0, EFD_CLOEXEC)};
  std::mutex mu;
  std::vector<std::thread> threads;  // guarded by mu
  bool stopping = false;             // guarded by mu
};

ExitWatcher::ExitWatcher() : impl_(std::make_unique<Impl>()) {}

ExitWatcher::~ExitWatcher() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    threads.swap(impl_->threads);
  }
  uint64_t one = 1;
  (void)!::write(impl_->stop.get(), &one, sizeof one);
  for (auto& t : threads) t.join();
}

bool ExitWatcher::Watch(int pid, Callback on_exit) {
  if (pid <= 0) return false;
  int fd = PidfdOpen(pid);
  if (fd < 0 && errno != ESRCH) return false;
  std::lock_guard lock(impl_->mu);
  if (impl_->stopping) {
    if (fd >= 0) ::close(fd);
    return false;
  }
  // One thread per job: jobs are few, and a blocking poll is the simplest
  // correct wait for a process that may not be our child.
  impl_->threads.emplace_back([this, pid, fd, cb = std::move(on_exit)] {
    UniqueFd pidfd(fd);
    if (!pidfd.valid()) {
      cb(pid, ExitInfo{});
      return;
    }
    struct pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {impl_->stop.get(), POLLIN, 0}};
    for (;;) {
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (fds[1].revents != 0) return;  // stopping: no callback
      if (fds[0].revents != 0) break;
    }
    cb(pid, Reap(pidfd.get()));
  });
  return true;
}

}  // namespace stasis::jobs
