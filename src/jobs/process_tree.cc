#include "jobs/process_tree.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace stasis::jobs {

namespace {

// The fields of /proc/<pid>/stat after "(comm)"; comm may hold spaces and
// parentheses, so the split is at the last ')'.
bool StatFields(int pid, std::vector<std::string>* fields) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 1));
  std::string f;
  while (rest >> f) fields->push_back(f);
  return true;
}

}  // namespace

Result<uint64_t> ProcessStartTime(int pid) {
  std::vector<std::string> f;
  // Field 3 (state) is f[0], so field 22 (starttime) is f[19].
  if (pid <= 0 || !StatFields(pid, &f) || f.size() < 20)
    return Status::NotFound("no process with PID " + std::to_string(pid));
  return std::stoull(f[19]);
}

bool ProcessAlive(int pid, uint64_t start_time) {
  std::vector<std::string> f;
  if (pid <= 0 || !StatFields(pid, &f) || f.size() < 20) return false;
  if (f[0] == "Z" || f[0] == "X") return false;
  return start_time == 0 || std::stoull(f[19]) == start_time;
}

std::vector<int> ProcessTree(int pid) {
  std::vector<int> out;
  std::deque<int> queue{pid};
  while (!queue.empty()) {
    int p = queue.front();
    queue.pop_front();
    if (::kill(p, 0) != 0 && errno == ESRCH) continue;
    out.push_back(p);
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(p) + "/task", ec)) {
      std::ifstream in(task.path() / "children");
      int child;
      while (in >> child) queue.push_back(child);
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
  if (grace_ms > 0) {
    SignalTree(pid, SIGTERM).ok();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (ProcessAlive(pid, 0) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A stopped tree (a failed dump) must get SIGKILL too; it works on stopped tasks.
  SignalTree(pid, SIGKILL).ok();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ProcessAlive(pid, 0) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (ProcessAlive(pid, 0))
    return Status::Internal("process " + std::to_string(pid) + " did not end after SIGKILL");
  return Status::OK();
}

}  // namespace stasis::jobs
