#include "jobs/process_tree.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "common/unique_fd.h"

namespace stasis::jobs {

namespace {

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

// Reads /proc/<pid>/stat. comm (field 2) may hold spaces and parentheses,
// so fields are counted from the last ')': state is field 3, starttime 22.
bool ReadStat(int pid, ProcStat* out) {
  if (pid <= 0) return false;
  UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  auto read = ReadProcFile(fd.get());
  if (!read.ok()) return false;
  const std::string& text = *read;
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  const char* p = text.data() + close + 1;
  const char* end = text.data() + text.size();
  for (int field = 3; field <= 22; ++field) {
    while (p < end && *p == ' ') ++p;
    const char* start = p;
    while (p < end && *p != ' ') ++p;
    if (start == p) return false;
    if (field == 3) out->state = *start;
    if (field == 22) return std::from_chars(start, p, out->start_time).ec == std::errc();
  }
  return false;
}

bool Alive(const ProcStat& st) {
  return st.state != 'Z' && st.state != 'X';
}

// A process as seen at one moment; the start time tells it from a later
// process that reuses its pid.
using Snapshot = std::vector<std::pair<int, uint64_t>>;

Snapshot TakeSnapshot(int pid) {
  Snapshot out;
  for (int p : ProcessTree(pid)) {
    ProcStat st;
    if (ReadStat(p, &st)) out.emplace_back(p, st.start_time);
  }
  return out;
}

bool AnyAlive(const Snapshot& s) {
  for (const auto& [pid, start] : s)
    if (ProcessAlive(pid, start)) return true;
  return false;
}

bool WaitUntilGone(const Snapshot& s, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (AnyAlive(s)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

Result<std::string> ReadProcFile(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return out;
    } else if (errno != EINTR) {
      return ErrnoStatus("cannot read a /proc file", errno);
    }
  }
}

Result<uint64_t> ProcessStartTime(int pid) {
  ProcStat st;
  if (!ReadStat(pid, &st)) return Status::NotFound("no process with PID " + std::to_string(pid));
  return st.start_time;
}

bool ProcessAlive(int pid, uint64_t start_time) {
  ProcStat st;
  if (!ReadStat(pid, &st) || !Alive(st)) return false;
  return start_time == 0 || st.start_time == start_time;
}

std::vector<int> ProcessTree(int pid) {
  std::vector<int> out;
  if (pid <= 0) return out;
  std::set<int> seen{pid};  // guards against a pid reused mid-walk forming a cycle
  std::deque<int> queue{pid};
  while (!queue.empty()) {
    int p = queue.front();
    queue.pop_front();
    if (::kill(p, 0) != 0 && errno == ESRCH) continue;
    out.push_back(p);
    // Each thread lists the children it forked, so every task is read.
    // The process may exit while we read: explicit increments with an
    // error code, since a range-for's ++ throws when /proc/PID/task goes.
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(p) + "/task", ec), end;
         !ec && it != end; it.increment(ec)) {
      std::ifstream in(it->path() / "children");
      int child;
      while (in >> child)
        if (seen.insert(child).second) queue.push_back(child);
    }
  }
  return out;
}

Status SignalTree(int pid, int sig) {
  std::vector<int> tree = ProcessTree(pid);
  if (tree.empty()) return Status::NotFound("no process with PID " + std::to_string(pid));
  for (int p : tree) ::kill(p, sig);
  return Status::OK();
}

Status TerminateTree(int pid, int grace_ms) {
  if (!ProcessAlive(pid, 0)) return Status::OK();
  // Remember the whole tree: a descendant that outlives its parent is
  // re-parented away and no longer shows up under `pid`.
  Snapshot before = TakeSnapshot(pid);
  if (grace_ms > 0) {
    SignalTree(pid, SIGTERM).ok();
    if (WaitUntilGone(before, std::chrono::milliseconds(grace_ms))) return Status::OK();
  }
  // SIGKILL also ends stopped tasks (a tree a failed dump left frozen).
  SignalTree(pid, SIGKILL).ok();
  for (const auto& [p, start] : before)
    if (ProcessAlive(p, start)) ::kill(p, SIGKILL);
  if (!WaitUntilGone(before, std::chrono::seconds(5)))
    return Status::Internal("process " + std::to_string(pid) +
                            " or one of its children did not end after SIGKILL");
  return Status::OK();
}

}  // namespace stasis::jobs
