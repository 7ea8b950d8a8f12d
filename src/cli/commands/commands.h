// Each file under commands/ adds one verb (and its subcommands) to the CLI.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace stasis::cli {

void AddRunCommands(CLI::App& app, CliContext& ctx);
void AddJobCommands(CLI::App& app, CliContext& ctx);
void AddDumpCommands(CLI::App& app, CliContext& ctx);
void AddRestoreCommands(CLI::App& app, CliContext& ctx);
void AddCheckpointCommands(CLI::App& app, CliContext& ctx);
void AddConfigCommands(CLI::App& app, CliContext& ctx);
void AddHealthCommands(CLI::App& app, CliContext& ctx);
void AddDaemonCommands(CLI::App& app, CliContext& ctx);
void AddPluginCommands(CLI::App& app, CliContext& ctx);

// Shared by run and restore: streams a job's log until it ends.
// Returns the job's exit code (or 0 when it was dumped/killed).
int AttachToJob(CliContext& ctx, const std::string& jid, int64_t from_offset);

// Prints the checkpoint table (ID TIME SIZE PATH, newest first).
int PrintCheckpoints(CliContext& ctx, const std::string& job_id, const std::string& dir);

}  // namespace stasis::cli
