// The floor of sending one message to every connection: a server that does nothing per connection
// but one send(2) of the message, with no event loop, no buffering and no framing around it.
// Built and run by bench/dist/send-floor.js (cc -O2); speaks the same lines as send-floor-server:
//   send-floor <connections> <rounds> <size>
// prints "ADDR 127.0.0.1:<port>", accepts <connections> (TCP_NODELAY, non-blocking, as Node's
// sockets are), waits 500 ms, then does 2 uncounted rounds and <rounds> counted ones, 200 ms
// apart, printing "ROUND <ms> <cpu ms> <sent>" for each counted one, and exits.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 2

static double wall_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: send-floor <connections> <rounds> <size>\n");
    return 2;
  }
  int count = atoi(argv[1]), rounds = atoi(argv[2]), size = atoi(argv[3]), one = 1;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t length = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4096) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &length) != 0) {
    perror("send-floor: listen");
    return 1;
  }
  printf("ADDR 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int *sockets = malloc(sizeof(int) * count);
  char *message = malloc(size);
  if (sockets == NULL || message == NULL) return 1;
  memset(message, 7, size);
  for (int i = 0; i < count; i++) {
    sockets[i] = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (sockets[i] < 0) {
      perror("send-floor: accept");
      return 1;
    }
    setsockopt(sockets[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  usleep(500 * 1000);
  for (int round = 0; round < WARMUP + rounds; round++) {
    usleep(200 * 1000);
    double cpu = cpu_ms(), start = wall_ms();
    int sent = 0;
    for (int i = 0; i < count; i++)
      if (send(sockets[i], message, size, MSG_NOSIGNAL) == size) sent++;
    double ms = wall_ms() - start;
    cpu = cpu_ms() - cpu;
    if (round >= WARMUP) {
      printf("ROUND %.3f %.3f %d\n", ms, cpu, sent);
      fflush(stdout);
    }
  }
  return 0;
}
