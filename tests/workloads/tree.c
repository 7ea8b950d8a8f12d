/* Process-tree workload: a parent, three children and a grandchild (under
 * the first child). Every descendant counts and sends "id count" lines up a
 * pipe; the grandchild's lines pass through its parent's own pipe. The
 * parent logs the last count of each, so a test sees the whole tree from
 * outside and can check that every process continues after a restore. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NCOUNTERS 4 /* children 0..2 and the grandchild (3) */

static void count(int id, int out) {
  char buf[32];
  for (unsigned long n = 1;; n++) {
    int len = snprintf(buf, sizeof buf, "%d %lu\n", id, n);
    if (write(out, buf, (size_t)len) != len) exit(1);
    usleep(50000);
  }
}

/* Child 0 forwards its grandchild's lines and adds its own. */
static void relay(int out) {
  int p[2];
  if (pipe(p) != 0) exit(1);
  if (fork() == 0) {
    close(p[0]);
    count(3, p[1]);
  }
  close(p[1]);
  if (fork() == 0) count(0, out); /* a thread would do; a process keeps it simple */
  char buf[256];
  for (;;) {
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n <= 0 || write(out, buf, (size_t)n) != n) exit(1);
  }
}

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 1;
  for (int id = 0; id < 3; id++) {
    if (fork() == 0) {
      close(p[0]);
      if (id == 0) relay(p[1]);
      count(id, p[1]);
    }
  }
  close(p[1]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  FILE* in = fdopen(p[0], "r");
  unsigned long last[NCOUNTERS] = {0};
  int id;
  unsigned long n;
  while (fscanf(in, "%d %lu", &id, &n) == 2) {
    if (id < 0 || id >= NCOUNTERS) continue;
    last[id] = n;
    printf("%lu %lu %lu %lu\n", last[0], last[1], last[2], last[3]);
  }
  return 1;
}
