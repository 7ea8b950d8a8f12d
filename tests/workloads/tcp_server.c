/* TCP server workload: listens on 127.0.0.1:PORT, serves one client at a
 * time; for each number line it reads it answers the running total of every
 * number it has been sent, so a client that keeps its connection across a
 * checkpoint can check the server's state after the restore.
 * Usage: tcp_server PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls < 0 || bind(ls, (struct sockaddr*)&a, sizeof a) != 0 || listen(ls, 4) != 0) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("listening\n");
  long total = 0;
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) return 1;
    FILE *in = fdopen(c, "r"), *out = fdopen(dup(c), "w");
    long v;
    while (fscanf(in, "%ld", &v) == 1) {
      total += v;
      fprintf(out, "%ld\n", total);
      fflush(out);
      printf("total %ld\n", total);
    }
    fclose(in);
    fclose(out);
  }
}
