// What a job is: enough to describe it in a manifest and to start or restore
// it on another host.
#pragma once

#include <string>
#include <vector>

namespace stasis {

struct JobSpec {
  std::vector<std::string> argv;  // empty for processes stasis did not start
  std::string cwd;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string log_path;          // where stdout/stderr went ("" if unmanaged)
  bool pid_namespace = false;    // the job's root is the init of its own PID namespace
};

}  // namespace stasis
