// The checkpoint engine: CRIU, driven through its command line. Callers see
// dumps and restores; which CRIU binary and how it is invoked stay in here.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace stasis::criu {

struct DumpOptions {
  int pid = 0;                       // root of the tree (host pid)
  std::filesystem::path images_dir;  // must exist and be empty
  bool tcp_established = false;
  bool shell_job = false;
  bool ext_unix_sk = false;
  bool file_locks = false;
  // Pre-copy: where a previous pre-dump left its images ("" for none).
  std::filesystem::path prev_images_dir;
  // --stream: images go to the streamer listening in images_dir instead of
  // files (the caller serves stream::kCaptureSocketName there).
  bool stream = false;
  // Set when the tree belongs to one non-root user: CRIU then runs as that
  // user with the daemon's capabilities (--unprivileged), because reading
  // another uid's rlimits takes CAP_SYS_RESOURCE, which containers often
  // withhold even from root.
  struct Owner {
    uint32_t uid = 0;
    uint32_t gid = 0;
  };
  std::optional<Owner> owner;
};

struct InheritFd {
  int fd = -1;      // open in the daemon; passed to criu with the same number
  std::string key;  // CRIU's key: a file path without its leading '/'
};

struct RestoreOptions {
  std::filesystem::path images_dir;
  std::vector<InheritFd> inherit_fds;
  bool tcp_established = false;
  bool shell_job = false;
  bool ext_unix_sk = false;
  bool file_locks = false;
  // --stream: images come from the streamer serving images_dir.
  bool stream = false;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Dumps the tree rooted at options.pid into options.images_dir and leaves
  // every task of the tree STOPPED (SIGSTOP state) on success, so that the
  // caller can commit the checkpoint before it kills or resumes the tree. On
  // failure CRIU has already resumed the tree; the error is one sentence,
  // naming the flag that would help when CRIU's log says so.
  virtual Status Dump(const DumpOptions& options) = 0;

  // Restores detached; returns the host pid of the restored root. On failure
  // no restored task is left running.
  virtual Result<int> Restore(const RestoreOptions& options) = 0;

  // "4.1.1"
  virtual Result<std::string> Version() = 0;
  // Runs `criu check`; OK with its output when it says "Looks good".
  virtual Result<std::string> Check() = 0;
  // The command used to run CRIU, for health and messages.
  virtual std::string Describe() const = 0;
};

// Finds CRIU >= 4.1: `configured_path` if not empty, else the private copy
// scripts/setup.sh provisions (/opt/stasis/criu/criu), else `criu` on PATH.
// Fails with a sentence telling how to provision it.
Result<std::unique_ptr<Engine>> OpenEngine(const std::string& configured_path);

}  // namespace stasis::criu
