// A one-line progress display on stderr while a long RPC runs: the CLI
// polls the daemon's Progress for the operation id it gave the request.
// Only on a terminal and not with --output json; elsewhere it just waits.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "cli/cli_context.h"
#include "common/progress.h"

namespace stasis::cli {

// A fresh id for DumpRequest/RestoreRequest.operation_id.
std::string NewOperationId();

// Runs `call` (the blocking RPC) and, meanwhile, redraws the progress line.
grpc::Status WithProgress(CliContext& ctx, const std::string& operation_id,
                          const std::function<grpc::Status()>& call);

// The same for work done in the CLI itself (checkpoint copy).
void RunWithLocalProgress(CliContext& ctx, const Progress& progress,
                          const std::function<void()>& work);

}  // namespace stasis::cli
