/* Multi-threaded workload: each thread owns a counter it increments; the main
 * thread logs all counters on one line so a test can check from outside that
 * every thread's state survives a checkpoint and keeps growing after restore. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NTHREADS 4

static volatile unsigned long counters[NTHREADS];

static void* work(void* arg) {
  volatile unsigned long* c = arg;
  for (;;) {
    ++*c;
    usleep(20000);
  }
  return NULL;
}

int main(void) {
  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    if (pthread_create(&t[i], NULL, work, (void*)&counters[i]) != 0) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    for (int i = 0; i < NTHREADS; i++) printf("%lu%c", counters[i], i + 1 < NTHREADS ? ' ' : '\n');
    usleep(100000);
  }
}
