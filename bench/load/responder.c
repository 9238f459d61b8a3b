/* Trivial SIP responder for measuring the load generator alone (see bench/load/README in
 * bench/README.md): answers every request datagram with "SIP/2.0 200 OK" followed by the
 * request's own header section, batching with recvmmsg/sendmmsg so that it costs far less
 * per message than the generator it measures. Loopback only; exits after argv[2] seconds. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SZ 4096

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int seconds = argc > 2 ? atoi(argv[2]) : 600;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct timeval tv = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("bind"); return 1; }
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  printf("{\"msg\":\"listening\",\"port\":%d}\n", ntohs(sa.sin_port));
  fflush(stdout);
  static char in[BATCH][SZ], out[BATCH][SZ + 16];
  struct sockaddr_in from[BATCH];
  struct iovec iov[BATCH], oiov[BATCH];
  struct mmsghdr msgs[BATCH], outs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = in[i]; iov[i].iov_len = SZ;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i]; msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    int k = 0;
    for (int i = 0; i < n; i++) {
      char *p = in[i];
      int l = (int)msgs[i].msg_len;
      if (l < 8 || p[0] == 'S') continue; /* responses are ignored */
      char *eol = memmem(p, l, "\r\n", 2);
      if (!eol) continue;
      int rest = l - (int)(eol - p);
      memcpy(out[k], "SIP/2.0 200 OK", 14);
      memcpy(out[k] + 14, eol, rest);
      oiov[k].iov_base = out[k]; oiov[k].iov_len = 14 + rest;
      memset(&outs[k], 0, sizeof outs[k]);
      outs[k].msg_hdr.msg_iov = &oiov[k]; outs[k].msg_hdr.msg_iovlen = 1;
      outs[k].msg_hdr.msg_name = &from[i]; outs[k].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
      k++;
    }
    if (k > 0) sendmmsg(fd, outs, k, 0);
  }
  return 0;
}
