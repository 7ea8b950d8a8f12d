// Helpers for tests that checkpoint real processes: start a tree in its own
// session, detached from the test runner's stdio and descriptors (CRIU
// restores open files only as they were, and ctest's own log would have
// grown meanwhile), and wait for what it writes.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace stasis::testing {

// Forks `argv` as a session leader with stdin on /dev/null and stdout and
// stderr on `output` (appended; /dev/null by default). Returns its pid.
inline int SpawnSession(const std::vector<std::string>& argv,
                        const std::string& output = "/dev/null") {
  pid_t child = ::fork();
  if (child != 0) return child;
  ::setsid();
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

// A shell loop writing an increasing number into `counter`, every 50 ms.
inline int SpawnCounter(const std::string& counter) {
  return SpawnSession(
      {"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > " + counter + "; sleep 0.05; done"});
}

inline long ReadCount(const std::string& path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return v;
}

// The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), '?' if gone.
inline char ProcState(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  size_t close = s.rfind(')');
  return close == std::string::npos ? '?' : s[close + 2];
}

template <class F>
bool WaitFor(F cond, int ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace stasis::testing
