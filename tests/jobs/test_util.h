// Helpers shared by the jobs tests: temp dirs, files, bounded waits.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace stasis::jobs::test_util {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/stasis-jobs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `cond` every few milliseconds for at most `ms`.
inline bool WaitFor(const std::function<bool()>& cond, int ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Reaps our child `pid` within `ms`; returns its wait status, or -1.
inline int ReapWithin(int pid, int ms = 5000) {
  int status = -1;
  bool done = WaitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, ms);
  return done ? status : -1;
}

// Kills and reaps a child a failed test may have left behind.
inline void KillAndReap(int pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ReapWithin(pid);
}

// Pids of this process's children (all threads'), to check nothing is left.
inline std::set<int> OurChildren() {
  std::set<int> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    int pid;
    while (in >> pid) out.insert(pid);
  }
  return out;
}

// fork + execvp, with no namespace or session changes: a plain child.
inline int ForkExec(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pid = ::fork();
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace stasis::jobs::test_util
