#include "cli/progress_display.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

namespace stasis::cli {

namespace {

bool ShowProgress(CliContext& ctx) {
  return !ctx.json() && ::isatty(STDERR_FILENO) == 1;
}

// Polls `read` every 200 ms on a helper thread until `work` returns.
void Drive(const std::function<void()>& work,
           const std::function<bool(Progress::Snapshot*)>& read) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread painter([&] {
    bool drawn = false;
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; })) {
      Progress::Snapshot s;
      if (!read(&s)) continue;
      std::fprintf(stderr, "\r\033[K%s", ProgressLine(s).c_str());
      std::fflush(stderr);
      drawn = true;
    }
    if (drawn) std::fprintf(stderr, "\r\033[K");
  });
  work();
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  painter.join();
}

}  // namespace

std::string NewOperationId() {
  std::random_device rd;
  char buf[24];
  std::snprintf(buf, sizeof buf, "op-%08x%08x", rd(), rd());
  return buf;
}

grpc::Status WithProgress(CliContext& ctx, const std::string& operation_id,
                          const std::function<grpc::Status()>& call) {
  if (!ShowProgress(ctx)) return call();
  auto stub = ctx.Daemon();
  grpc::Status result;
  Drive([&] { result = call(); },
        [&](Progress::Snapshot* s) {
          if (!stub.ok()) return false;
          v1::ProgressRequest req;
          req.set_operation_id(operation_id);
          v1::ProgressReply reply;
          grpc::ClientContext rpc;
          rpc.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
          if (!(*stub)->Progress(&rpc, req, &reply).ok() || !reply.found()) return false;
          s->phase = reply.phase();
          s->bytes = reply.bytes();
          s->total = reply.total();
          s->phase_seconds = reply.phase_seconds();
          s->has_stored = reply.has_stored();
          s->stored = reply.stored();
          return true;
        });
  return result;
}

void RunWithLocalProgress(CliContext& ctx, const Progress& progress,
                          const std::function<void()>& work) {
  if (!ShowProgress(ctx)) {
    work();
    return;
  }
  Drive(work, [&](Progress::Snapshot* s) {
    *s = progress.Read();
    return true;
  });
}

}  // namespace stasis::cli
