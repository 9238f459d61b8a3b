/* The cheap side of bench/transport/udp-syscalls.bench.ts: a paced UDP sender (counting the
 * replies it gets back) and a sink, so that nearly all the CPU measured is the Node side's.
 * Loopback only, bounded in count and time.
 *   udp-peer send PORT RATE COUNT BURST SIZE   RATE datagrams/s (0 = as fast as possible),
 *                                              BURST per sendmmsg, SIZE bytes each
 *   udp-peer sink SECONDS                      prints {"port":N}, counts until SIGTERM */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXB 64
#define RSZ 2048

static volatile sig_atomic_t stop = 0;
static void on_term(int sig) { (void)sig; stop = 1; }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int open_sock(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("bind"); exit(1); }
  return fd;
}

static char rbuf[MAXB][RSZ];
static struct iovec riov[MAXB];
static struct mmsghdr rmsg[MAXB];

/* Reads everything queued now (or waits up to the socket's timeout when flags is 0). */
static long drain(int fd, int flags) {
  long got = 0;
  for (;;) {
    int n = recvmmsg(fd, rmsg, MAXB, flags, NULL);
    if (n <= 0) return got;
    got += n;
    flags = MSG_DONTWAIT;
  }
}

static int do_send(int port, long rate, long count, int burst, int size) {
  int fd = open_sock(0);
  prctl(PR_SET_TIMERSLACK, 1UL); /* pace to the microsecond, not to the default 50 us slack */
  if (burst < 1) burst = 1;
  if (burst > MAXB) burst = MAXB;
  if (size < 16) size = 16;
  if (size > RSZ) size = RSZ;
  static char payload[RSZ];
  memset(payload, 'x', sizeof payload);
  memcpy(payload, "REGISTER sip:bench SIP/2.0\r\n", 28);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct iovec iov[MAXB];
  struct mmsghdr msgs[MAXB];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < MAXB; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }
  long sent = 0, replies = 0, eagain = 0;
  double t0 = now_s();
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  long step_ns = rate > 0 ? (long)(1e9 * burst / rate) : 0;
  while (sent < count && !stop) {
    int n = (int)(count - sent < burst ? count - sent : burst);
    int r = sendmmsg(fd, msgs, n, 0);
    if (r > 0) sent += r;
    else if (errno == EAGAIN || errno == ENOBUFS) eagain++;
    replies += drain(fd, MSG_DONTWAIT);
    if (step_ns > 0) {
      next.tv_nsec += step_ns;
      while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
  }
  double sendEnd = now_s();
  /* Stragglers: until 300 ms pass without a reply (bounded to 3 s). */
  struct timeval tv = {0, 300000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (now_s() - sendEnd < 3.0) {
    long n = drain(fd, 0);
    if (n == 0) break;
    replies += n;
  }
  printf("{\"sent\":%ld,\"replies\":%ld,\"sendSeconds\":%.4f,\"eagain\":%ld}\n", sent, replies, sendEnd - t0, eagain);
  return 0;
}

static int do_sink(int seconds) {
  int fd = open_sock(0);
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  printf("{\"port\":%d}\n", ntohs(sa.sin_port));
  fflush(stdout);
  struct timeval tv = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  long got = 0;
  double t0 = now_s();
  while (!stop && now_s() - t0 < seconds) got += drain(fd, 0);
  printf("{\"received\":%ld}\n", got);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  for (int i = 0; i < MAXB; i++) {
    riov[i].iov_base = rbuf[i];
    riov[i].iov_len = RSZ;
    rmsg[i].msg_hdr.msg_iov = &riov[i];
    rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  if (argc >= 7 && strcmp(argv[1], "send") == 0)
    return do_send(atoi(argv[2]), atol(argv[3]), atol(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (argc >= 3 && strcmp(argv[1], "sink") == 0) return do_sink(atoi(argv[2]));
  fprintf(stderr, "usage: udp-peer send PORT RATE COUNT BURST SIZE | udp-peer sink SECONDS\n");
  return 2;
}
