// `stasis daemon start`: the long-running server.
#pragma once

#include "config/config.h"

namespace stasis::daemon {

struct DaemonOptions {
  bool detach = false;  // fork into the background once serving
};

// Serves until SIGTERM/SIGINT. Returns the process exit code; prints one
// sentence to stderr when it cannot start.
int RunDaemon(const config::Config& config, const DaemonOptions& options);

}  // namespace stasis::daemon
