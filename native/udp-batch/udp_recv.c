/* Receiving: the readable callback reads with recvmmsg into fixed slots and hands the whole
 * wake's worth to JS in one call. */
#include "udp_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Hands everything one readable wake read to JS in one call: onBatch(data, meta, count). */
static void deliver(sock_t *s, int n) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  size_t total = 0;
  for (int i = 0; i < n; i++) total += s->msgs[i].msg_len;
  napi_value data, meta_ab, meta, cb, self, argv[3], result;
  void *dp;
  uint32_t *mp;
  if (napi_create_buffer(env, total, &dp, &data) != napi_ok) goto out;
  if (napi_create_arraybuffer(env, (size_t)n * META_WORDS * 4, (void **)&mp, &meta_ab) != napi_ok) goto out;
  if (napi_create_typedarray(env, napi_uint32_array, (size_t)n * META_WORDS, meta_ab, 0, &meta) != napi_ok) goto out;
  size_t off = 0;
  uint32_t *ends = mp, *ports = mp + n, *fams = mp + 2 * n, *addrs = mp + 3 * n;
  for (int i = 0; i < n; i++) {
    unsigned len = s->msgs[i].msg_len;
    memcpy((char *)dp + off, s->arena + (size_t)i * SLOT, len);
    off += len;
    ends[i] = (uint32_t)off;
    uint32_t *a4 = addrs + 4 * i;
    struct sockaddr_storage *ss = &s->from[i];
    if (ss->ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
      ports[i] = ntohs(a->sin6_port);
      fams[i] = 6;
      memcpy(a4, &a->sin6_addr, 16);
    } else {
      struct sockaddr_in *a = (struct sockaddr_in *)ss;
      ports[i] = ntohs(a->sin_port);
      fams[i] = 4;
      memcpy(a4, &a->sin_addr, 4); /* network byte order, as on the wire */
      a4[1] = a4[2] = a4[3] = 0;
    }
  }
  argv[0] = data;
  argv[1] = meta;
  argv[2] = make_int(env, n);
  if (napi_get_reference_value(env, s->callback, &cb) != napi_ok) goto out;
  if (napi_get_reference_value(env, s->self, &self) != napi_ok) goto out;
  /* make_callback: runs nextTicks and microtasks after the call, as a 'message' event would. */
  if (napi_make_callback(env, s->async_ctx, self, cb, 3, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
out:
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  if (status < 0 || !(events & UV_READABLE) || s->closed) return;
  int got = 0;
  /* Bounded per wake so that timers and other sockets get their turn under a flood. */
  while (got < s->max_per_wake) {
    int want = s->vlen;
    if (want > s->max_per_wake - got) want = s->max_per_wake - got;
    for (int i = got; i < got + want; i++) {
      s->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
      s->msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, &s->msgs[got], (unsigned)want, MSG_DONTWAIT, NULL);
    if (n <= 0) break; /* EAGAIN (drained) or a transient error (e.g. ICMP-reported ECONNREFUSED) */
    got += n;
    if (n < want) break; /* drained: skip the extra syscall that would return EAGAIN */
  }
  if (got > 0) deliver(s, got);
}

/* recvStart(handle, vlen, maxPerWake, onBatch) */
napi_value js_recv_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->polling || s->closed) return throw_errno(env, "udp-batch: recvStart", EALREADY);
  int32_t vlen, per_wake;
  CHECK(napi_get_value_int32(env, argv[1], &vlen));
  CHECK(napi_get_value_int32(env, argv[2], &per_wake));
  if (vlen < 1) vlen = 1;
  if (vlen > MAX_VLEN) vlen = MAX_VLEN;
  if (per_wake < vlen) per_wake = vlen;
  if (per_wake > MAX_VLEN) per_wake = MAX_VLEN;
  s->vlen = vlen;
  s->max_per_wake = per_wake;
  s->arena = malloc((size_t)per_wake * SLOT);
  s->msgs = calloc((size_t)per_wake, sizeof *s->msgs);
  s->iov = calloc((size_t)per_wake, sizeof *s->iov);
  s->from = calloc((size_t)per_wake, sizeof *s->from);
  if (!s->arena || !s->msgs || !s->iov || !s->from) {
    free_buffers(s);
    return throw_errno(env, "udp-batch: alloc", ENOMEM);
  }
  for (int i = 0; i < per_wake; i++) {
    s->iov[i].iov_base = s->arena + (size_t)i * SLOT;
    s->iov[i].iov_len = SLOT;
    s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
    s->msgs[i].msg_hdr.msg_iovlen = 1;
    s->msgs[i].msg_hdr.msg_name = &s->from[i];
  }
  CHECK(napi_create_reference(env, argv[3], 1, &s->callback));
  CHECK(napi_create_reference(env, argv[0], 1, &s->self));
  CHECK(napi_create_string_utf8(env, "UDPBATCH", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, argv[0], name, &s->async_ctx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &s->poll, s->fd);
  if (r != 0) return throw_errno(env, "udp-batch: uv_poll_init", -r);
  s->poll.data = s;
  s->polling = 1; /* from here on only uv_close() (close() or teardown) ends the handle */
  r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (r != 0) return throw_errno(env, "udp-batch: uv_poll_start", -r);
  return NULL;
}

/* addressText(meta, n, i) -> the text form of datagram i's source address (inet_ntop). */
napi_value js_address_text(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t len;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL));
  uint32_t n, i;
  CHECK(napi_get_value_uint32(env, argv[1], &n));
  CHECK(napi_get_value_uint32(env, argv[2], &i));
  if (type != napi_uint32_array || i >= n || (size_t)n * META_WORDS > len) {
    napi_throw_range_error(env, NULL, "udp-batch: addressText out of range");
    return NULL;
  }
  const uint32_t *mp = (const uint32_t *)data;
  char text[INET6_ADDRSTRLEN];
  int fam = mp[2 * n + i] == 6 ? AF_INET6 : AF_INET;
  if (inet_ntop(fam, mp + 3 * n + 4 * i, text, sizeof text) == NULL) return throw_errno(env, "udp-batch: inet_ntop", errno);
  CHECK(napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &out));
  return out;
}
