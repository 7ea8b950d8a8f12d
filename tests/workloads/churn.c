/* churn MIB [PAGES_PER_SEC]: MIB MiB of pages that keep changing while it
 * runs, the way a training job's weights do. Page i always holds the
 * content generated from (i, version[i]), and the versions live in an
 * array of their own; every rewrite bumps a version and regenerates its
 * page. On SIGUSR1 it checks every page against its version and prints
 * "verify ok mutations=N" (or "verify bad page=I"). A restore that mixed a
 * page copied before the freeze with versions from after it (or the
 * reverse) fails that check; the mutation count must only grow. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define WORDS (PAGE / 8)

static volatile sig_atomic_t g_verify = 0;
static void OnUsr1(int sig) { (void)sig; g_verify = 1; }

static uint64_t Mix(uint64_t x) { /* splitmix64 */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static void Fill(uint64_t* page, uint64_t i, uint32_t version) {
  uint64_t x = Mix(i * 0x100000001b3ull + version);
  for (int w = 0; w < WORDS; ++w) page[w] = x = Mix(x);
}

static int Matches(const uint64_t* page, uint64_t i, uint32_t version) {
  uint64_t x = Mix(i * 0x100000001b3ull + version);
  for (int w = 0; w < WORDS; ++w)
    if (page[w] != (x = Mix(x))) return 0;
  return 1;
}

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
  long rate = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
  size_t pages = mib * 1024 * 1024 / PAGE;
  uint64_t* mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint32_t* version = calloc(pages, sizeof *version);
  if (mem == MAP_FAILED || version == NULL) {
    perror("churn: memory");
    return 1;
  }
  for (size_t i = 0; i < pages; ++i) Fill(mem + i * WORDS, i, 0);
  signal(SIGUSR1, OnUsr1);
  printf("ready pages=%zu\n", pages);
  fflush(stdout);

  uint64_t mutations = 0, rng = 12345;
  /* Batches of rate/100 rewrites, 10 ms apart. */
  long batch = rate / 100 > 0 ? rate / 100 : 1;
  struct timespec pause = {0, 10 * 1000 * 1000};
  for (;;) {
    for (long k = 0; k < batch; ++k) {
      rng = Mix(rng);
      size_t i = rng % pages;
      Fill(mem + i * WORDS, i, ++version[i]);
      ++mutations;
    }
    if (g_verify) {
      g_verify = 0;
      size_t bad = pages;
      for (size_t i = 0; i < pages && bad == pages; ++i)
        if (!Matches(mem + i * WORDS, i, version[i])) bad = i;
      if (bad == pages)
        printf("verify ok mutations=%llu\n", (unsigned long long)mutations);
      else
        printf("verify bad page=%zu\n", bad);
      fflush(stdout);
    }
    nanosleep(&pause, NULL);
  }
}
