/* counter [interval_ms]: prints 0, 1, 2, ... one per line on stdout.
 * The numbers live only in memory, so after a restore the sequence must go
 * on from where it stopped: that is what the tests check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long interval_ms = argc > 1 ? atol(argv[1]) : 100;
  struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
  for (unsigned long i = 0;; ++i) {
    char line[32];
    int n = snprintf(line, sizeof line, "%lu\n", i);
    if (write(STDOUT_FILENO, line, (size_t)n) < 0) return 1;
    nanosleep(&ts, NULL);
  }
}
