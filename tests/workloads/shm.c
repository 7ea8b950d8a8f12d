/* Shared-memory workload: a parent and a child share a memfd mapping and a
 * POSIX shm mapping, and a UNIX socket pair. The child counts into both
 * mappings and sends its count over the socket; the parent logs
 * "own memfd shm socket" so a test sees that the sharing survives a restore
 * (the parent keeps reading the child's new counts). Usage: shm SHM_NAME */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int mfd = memfd_create("stasis-shm", 0);
  int sfd = shm_open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  int sv[2];
  if (mfd < 0 || sfd < 0 || ftruncate(mfd, 4096) != 0 || ftruncate(sfd, 4096) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    return 1;
  volatile unsigned long* m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  volatile unsigned long* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
  if (m == MAP_FAILED || s == MAP_FAILED) return 1;
  if (fork() == 0) {
    close(sv[0]);
    for (unsigned long n = 1;; n++) {
      *m = n;
      *s = n;
      if (write(sv[1], &n, sizeof n) != sizeof n) return 1;
      usleep(50000);
    }
  }
  close(sv[1]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (unsigned long own = 1;; own++) {
    unsigned long got;
    if (read(sv[0], &got, sizeof got) != sizeof got) return 1;
    printf("%lu %lu %lu %lu\n", own, *m, *s, got);
  }
}
