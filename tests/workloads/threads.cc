// Multi-threaded C++ workload: each std::thread keeps its own counter on its
// own stack and publishes where it lives; the main thread logs all of them
// on one line, so a test can check from outside that every thread's state
// (its stack, not a shared global) survives a checkpoint and keeps growing
// after restore.
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace {

constexpr int kThreads = 4;
std::array<std::atomic<const std::atomic<uint64_t>*>, kThreads> published{};

void Count(int i) {
  std::atomic<uint64_t> mine{0};
  published[i].store(&mine);
  for (;;) {
    mine.fetch_add(1, std::memory_order_relaxed);
    ::usleep(20000);
  }
}

}  // namespace

int main() {
  for (int i = 0; i < kThreads; ++i) std::thread(Count, i).detach();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (;;) {
    for (int i = 0; i < kThreads; ++i) {
      const std::atomic<uint64_t>* c = published[i].load();
      std::printf("%llu%c", static_cast<unsigned long long>(c ? c->load() : 0),
                  i + 1 < kThreads ? ' ' : '\n');
    }
    ::usleep(100000);
  }
}
