// `stasis health`: what the daemon can say about its own readiness.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "criu/engine.h"
#include "stream/signing_key.h"

namespace stasis::daemon {

struct HealthCheck {
  std::string section;  // "criu", "daemon", "storage"
  std::string name;
  std::string state;  // "ok" | "warn" | "error"
  std::string detail;
};

// Never fails: every problem becomes a check in state "error" or "warn".
// `signing_key`: the key checkpoints are signed with (its id is shown).
std::vector<HealthCheck> RunHealthChecks(const config::Config& config, criu::Engine* engine,
                                         const stream::SigningKey* signing_key);

}  // namespace stasis::daemon
