#include "jobs/exit_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/unique_fd.h"

namespace stasis::jobs {

namespace {

// P_PIDFD from linux/wait.h; glibc 2.36's idtype_t does not name it yet.
constexpr int kPidfdIdType = 3;

int PidfdOpen(int pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Reaps the process behind a readable pidfd if it is our child.
ExitInfo Reap(int pidfd) {
  ExitInfo info;
  siginfo_t si{};
  int rc;
  do {
    rc = ::waitid(static_cast<idtype_t>(kPidfdIdType), static_cast<id_t>(pidfd), &si, WEXITED);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return info;  // ECHILD: not our child, someone else reaps it
  info.known = true;
  if (si.si_code == CLD_EXITED)
    info.exit_code = si.si_status;
  else
    info.signal = si.si_status;  // CLD_KILLED or CLD_DUMPED
  return info;
}

// Waits until the process exits (true) or the watcher stops (false).
bool WaitForExit(int pidfd, int stop_fd) {
  struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

}  // namespace

struct ExitWatcher::Impl {
  struct Thread {
    std::thread thread;
    std::atomic<bool> done{false};  // set as the thread's last act
  };

  // Never read: once written it stays readable and wakes every thread.
  UniqueFd stop{::eventfd(0, EFD_CLOEXEC)};
  std::mutex mu;
  std::list<Thread> threads;  // guarded by mu; a list keeps `done` addresses stable
  bool stopping = false;      // guarded by mu

  // Joins threads whose job has ended, so a long-lived daemon does not
  // accumulate one finished thread per job it ever ran.
  void JoinFinished() {
    for (auto it = threads.begin(); it != threads.end();) {
      if (it->done.load()) {
        it->thread.join();
        it = threads.erase(it);
      } else {
        ++it;
      }
    }
  }
};

ExitWatcher::ExitWatcher() : impl_(std::make_unique<Impl>()) {}

ExitWatcher::~ExitWatcher() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  uint64_t one = 1;
  (void)!::write(impl_->stop.get(), &one, sizeof one);
  // No new threads start once `stopping` is set, so the list is ours now.
  for (auto& t : impl_->threads) t.thread.join();
}

bool ExitWatcher::Watch(int pid, Callback on_exit) {
  if (pid <= 0 || !impl_->stop.valid()) return false;
  // A pidfd follows the process itself, so a reused pid cannot fool us;
  // ESRCH means it is already gone and is reported from the thread below.
  UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd.valid() && errno != ESRCH) return false;

  std::lock_guard lock(impl_->mu);
  if (impl_->stopping) return false;
  impl_->JoinFinished();
  Impl::Thread& slot = impl_->threads.emplace_back();
  int stop_fd = impl_->stop.get();
  // One thread per job: jobs are few, and a blocking poll is the simplest
  // correct wait for a process that may not be our child.
  auto body = [pid, stop_fd, own = std::move(pidfd), cb = std::move(on_exit), &slot] {
    if (!own.valid())
      cb(pid, ExitInfo{});
    else if (WaitForExit(own.get(), stop_fd))
      cb(pid, Reap(own.get()));
    slot.done.store(true);
  };
  try {
    slot.thread = std::thread(std::move(body));
  } catch (const std::system_error&) {
    // The pidfd went down with `body`; no callback will come.
    impl_->threads.pop_back();
    return false;
  }
  return true;
}

}  // namespace stasis::jobs
