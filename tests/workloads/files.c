/* Files workload: a file appended to (its offset grows), a file read a byte
 * at a time (its offset grows), a file deleted while open that it writes
 * and reads back, and an flock held on a fourth file. It logs
 * "tick append_offset read_offset deleted_value" so a test can check from
 * outside that offsets and contents continue after a restore.
 * Usage: files DIR */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int open_in(const char* dir, const char* name, int flags) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return open(path, flags, 0644);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int app = open_in(argv[1], "append.txt", O_WRONLY | O_CREAT | O_APPEND);
  int rd = open_in(argv[1], "read.txt", O_RDONLY);
  int del = open_in(argv[1], "deleted.txt", O_RDWR | O_CREAT | O_TRUNC);
  int lk = open_in(argv[1], "lock", O_RDWR | O_CREAT);
  if (app < 0 || rd < 0 || del < 0 || lk < 0 || flock(lk, LOCK_EX | LOCK_NB) != 0) return 1;
  char path[4096];
  snprintf(path, sizeof path, "%s/deleted.txt", argv[1]);
  unlink(path);
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (unsigned long n = 1;; n++) {
    char buf[32], back[32] = {0}, c;
    int len = snprintf(buf, sizeof buf, "%lu\n", n);
    if (write(app, buf, (size_t)len) != len || read(rd, &c, 1) != 1) return 1;
    if (pwrite(del, buf, sizeof buf, 0) != (ssize_t)sizeof buf ||
        pread(del, back, sizeof back - 1, 0) <= 0)
      return 1;
    printf("%lu %ld %ld %lu\n", n, (long)lseek(app, 0, SEEK_CUR), (long)lseek(rd, 0, SEEK_CUR),
           strtoul(back, NULL, 10));
    usleep(50000);
  }
}
