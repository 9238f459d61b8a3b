/* Sending: a batch of (buffer, address, port) in sendmmsg calls. */
#include "udp_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEND_MAX 64

/* sendMany(handle, bufs[], addrs[], ports[], start, count) -> datagrams sent (>= 0) or -errno
 * for the first one when none could be sent. Stops at the first failure, as sendmmsg does. */
napi_value js_send_many(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->closed) return make_int(env, -EBADF);
  uint32_t start, count;
  CHECK(napi_get_value_uint32(env, argv[4], &start));
  CHECK(napi_get_value_uint32(env, argv[5], &count));
  struct mmsghdr msgs[SEND_MAX];
  struct iovec iov[SEND_MAX];
  struct sockaddr_storage to[SEND_MAX];
  uint32_t done = 0;
  while (done < count) {
    uint32_t n = count - done;
    if (n > SEND_MAX) n = SEND_MAX;
    for (uint32_t i = 0; i < n; i++) {
      napi_value b, a, p;
      uint32_t idx = start + done + i;
      CHECK(napi_get_element(env, argv[1], idx, &b));
      CHECK(napi_get_element(env, argv[2], idx, &a));
      CHECK(napi_get_element(env, argv[3], idx, &p));
      void *data;
      size_t len;
      CHECK(napi_get_buffer_info(env, b, &data, &len));
      char host[64];
      size_t hl;
      int32_t port;
      CHECK(napi_get_value_string_latin1(env, a, host, sizeof host, &hl));
      CHECK(napi_get_value_int32(env, p, &port));
      socklen_t sl;
      if (parse_addr(s->family, host, port, &to[i], &sl) != 0) {
        if (done + i == 0) return make_int(env, -EINVAL);
        n = i; /* send what came before the bad address; the caller skips it next */
        break;
      }
      iov[i].iov_base = data;
      iov[i].iov_len = len;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_name = &to[i];
      msgs[i].msg_hdr.msg_namelen = sl;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (n == 0) break;
    int r = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
    if (r < 0) {
      if (done == 0) return make_int(env, -errno);
      break;
    }
    done += (uint32_t)r;
    if ((uint32_t)r < n) break;
  }
  return make_int(env, done);
}
