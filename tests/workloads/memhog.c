/* memhog MIB [random|text]: fills MIB MiB with pseudo-random bytes (or, with
 * "text", log-like lines that compress several times) and prints a checksum
 * of that memory; on SIGUSR1 it computes the checksum again from memory and
 * prints it. Equal lines before a dump and after a restore mean CRIU carried
 * every page across. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_again = 0;
static void OnUsr1(int sig) { (void)sig; g_again = 1; }

static uint64_t Checksum(const uint64_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull + (h >> 29);
  return h;
}

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
  size_t words = mib * 1024 * 1024 / sizeof(uint64_t);
  uint64_t* mem = mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^ (uint64_t)time(NULL);
  int text = argc > 2 && strcmp(argv[2], "text") == 0;
  if (!text) {
    for (size_t i = 0; i < words; ++i) {  /* xorshift64*: incompressible data */
      x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
      mem[i] = x * 2685821657736338717ull;
    }
  } else {  /* what a training job's buffers might hold: repetitive text */
    char* p = (char*)mem;
    size_t n = words * sizeof(uint64_t), off = 0;
    unsigned long step = 0;
    while (off < n) {
      char line[96];
      x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
      int k = snprintf(line, sizeof line, "step %lu loss=0.%06llu lr=0.0003 tokens=%llu ok\n",
                       step++, (unsigned long long)(x % 1000000),
                       (unsigned long long)(x >> 48));
      size_t take = (size_t)k < n - off ? (size_t)k : n - off;
      memcpy(p + off, line, take);
      off += take;
    }
  }
  signal(SIGUSR1, OnUsr1);
  signal(SIGTERM, SIG_DFL);
  printf("checksum %016llx\n", (unsigned long long)Checksum(mem, words));
  fflush(stdout);
  /* SIGUSR1 stays blocked except inside sigsuspend(), so a signal that
   * arrives while we are not waiting (say, right after a restore) is kept
   * pending instead of lost between the flag test and the wait. */
  sigset_t usr1, waiting;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &waiting);
  sigdelset(&waiting, SIGUSR1);
  for (;;) {
    while (!g_again) sigsuspend(&waiting);
    g_again = 0;
    printf("checksum %016llx\n", (unsigned long long)Checksum(mem, words));
    fflush(stdout);
  }
}
