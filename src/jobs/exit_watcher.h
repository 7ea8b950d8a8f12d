// Watches job processes and reports when they end, whether or not they are
// children of the daemon (after a daemon restart they are not): a thread per
// watched pid polls a pidfd and reaps the process if it is our child.
#pragma once

#include <functional>
#include <memory>

namespace stasis::jobs {

struct ExitInfo {
  bool known = false;  // false when the pid was not our child (no status)
  int exit_code = 0;   // valid when known && signal == 0
  int signal = 0;
};

class ExitWatcher {
 public:
  using Callback = std::function<void(int pid, ExitInfo info)>;
  ExitWatcher();
  ~ExitWatcher();  // stops watching; callbacks no longer run after it returns
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // Calls `on_exit` once, from a watcher thread, when `pid` ends. If the pid
  // is already gone, calls it soon. Returns false if the pid cannot be watched.
  bool Watch(int pid, Callback on_exit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stasis::jobs
