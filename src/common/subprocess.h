// Running a helper program (criu, tar in tests) and collecting its result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace stasis {

struct SubprocessOptions {
  std::vector<std::string> argv;  // argv[0] is resolved with PATH
  std::vector<int> inherit_fds;   // kept open (same number) in the child
  std::string stdin_path = "/dev/null";
  bool capture_output = true;  // stdout+stderr into SubprocessResult::output
  std::string cwd;             // empty: unchanged
  int timeout_seconds = 0;     // 0: none; on expiry the child gets SIGKILL
  // Runs the program as this uid and gid (no supplementary groups) while
  // keeping every capability the caller has, as ambient capabilities that
  // survive exec. For CRIU dumping another user's tree (criu/cli_engine.cc).
  struct Identity {
    uint32_t uid = 0;
    uint32_t gid = 0;
  };
  std::optional<Identity> as_user_with_caps;
};

struct SubprocessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  std::string output;  // at most the last 64 KiB
};

// Starts argv and waits for it. Fails only when the program cannot be started;
// a non-zero exit is reported in the result, not as an error.
Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

}  // namespace stasis
