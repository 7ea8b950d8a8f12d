// What a job is: enough to describe it in a manifest and to start or restore
// it on another host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stasis {

struct JobSpec {
  std::vector<std::string> argv;  // empty for processes stasis did not start
  std::string cwd;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string log_path;          // where stdout/stderr went ("" if unmanaged)
  bool pid_namespace = false;    // the job's root is the init of its own PID namespace
  // Whose job it is: the caller who started it (or whose process was
  // dumped). Non-root jobs run with these ids; 0 is root.
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary
};

}  // namespace stasis
