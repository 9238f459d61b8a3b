/* Batched UDP for ComSIPL's main thread: recvmmsg/sendmmsg on a socket of its own, polled by
 * the Node event loop (uv_poll). One JS call per readable wake carries every datagram read in
 * that wake (one Buffer + one table), and one sendmmsg carries a whole batch of responses.
 * Plain Node-API (C), built against Node's own headers; Linux only (src/transport falls back
 * to node:dgram everywhere else). */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_VLEN 256
#define SLOT 65536 /* the largest UDP payload fits in one slot */
/* The table handed to JS with a batch of n datagrams, column by column (n words each):
 * ends, ports, families, then four words of address per datagram (IPv4: the first word). */
#define META_WORDS 7

typedef struct {
  int fd;
  int family;
  int vlen;          /* datagrams per recvmmsg */
  int max_per_wake;  /* datagrams handed to JS per readable wake, at most */
  napi_env env;
  napi_ref callback;
  napi_ref self;     /* keeps the JS handle (and so this struct) alive while polling */
  napi_async_context async_ctx;
  uv_poll_t poll;
  int polling;       /* the poll handle is initialised and not yet closed by libuv */
  int closed;        /* close() was called (or the environment is going away) */
  int finalized;     /* the JS object is gone; whoever finishes last frees the struct */
  int teardown;      /* the environment is going away: no more Node-API calls */
  napi_async_cleanup_hook_handle hook; /* non-NULL while registered */
  char *arena;       /* max_per_wake slots of SLOT bytes (pages are touched only as used) */
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *from;
} sock_t;

#define CHECK(call)                                                             \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error(env, NULL, "udp-batch: Node-API call failed: " #call);  \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static sock_t *get_sock(napi_env env, napi_value obj) {
  void *p = NULL;
  if (napi_unwrap(env, obj, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "udp-batch: not a socket handle");
    return NULL;
  }
  return (sock_t *)p;
}

static void free_buffers(sock_t *s) {
  free(s->arena);
  free(s->msgs);
  free(s->iov);
  free(s->from);
  s->arena = NULL;
  s->msgs = NULL;
  s->iov = NULL;
  s->from = NULL;
}

static void env_teardown(napi_async_cleanup_hook_handle h, void *arg);
static void on_poll_closed(uv_handle_t *h);

static void unhook(sock_t *s) {
  if (s->hook != NULL) napi_remove_async_cleanup_hook(s->hook);
  s->hook = NULL;
}

/* Stops polling; the close callback finishes the job once libuv lets go of the handle. */
static void close_poll(sock_t *s) {
  s->closed = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

/* The JS object is gone: garbage (then it is not polling: `self` kept it alive while it
 * was) or the environment's teardown. With the poll handle still open, the close callback
 * frees the struct instead. */
static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = (sock_t *)data;
  s->finalized = 1;
  if (s->polling) {
    s->teardown = 1;
    if (!s->closed) close_poll(s);
    return;
  }
  unhook(s);
  if (s->fd >= 0) close(s->fd);
  free_buffers(s);
  free(s);
}

static int parse_addr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

/* open(family, host, port, rcvBuf, sndBuf, v6only) -> handle object with .fd, .port */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family, port, rcvbuf, sndbuf;
  bool v6only;
  char host[64];
  size_t hl;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_latin1(env, argv[1], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  CHECK(napi_get_value_int32(env, argv[4], &sndbuf));
  CHECK(napi_get_value_bool(env, argv[5], &v6only));

  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_addr(family, host, port, &ss, &sl) != 0) return throw_errno(env, "udp-batch: bad address", EINVAL);
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "udp-batch: socket", errno);
  /* The kernel may cap these (net.core.rmem_max); a smaller buffer is not an error. */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (family == 6) {
    int on = v6only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "udp-batch: bind", e);
  }
  sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  int bound = ntohs(family == 6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);

  sock_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "udp-batch: calloc", ENOMEM);
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  CHECK(napi_create_object(env, &self));
  CHECK(napi_wrap(env, self, s, finalize_sock, NULL, NULL));
  /* A Worker's loop must have no open handle when it ends, and the addon may be unloaded
   * right after: an async cleanup hook makes the teardown wait for our close callback. */
  if (napi_add_async_cleanup_hook(env, env_teardown, s, &s->hook) != napi_ok) s->hook = NULL;
  CHECK(napi_set_named_property(env, self, "fd", make_int(env, fd)));
  CHECK(napi_set_named_property(env, self, "port", make_int(env, bound)));
  return self;
}

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
static napi_value js_recv_start(napi_env env, napi_callback_info info) {
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

static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  s->polling = 0;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  free_buffers(s);
  if (!s->teardown) {
    /* A plain close(): let go of the callback and of the JS object (it may be collected now). */
    napi_env env = s->env;
    if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
    s->async_ctx = NULL;
    if (s->callback) napi_delete_reference(env, s->callback);
    s->callback = NULL;
    napi_ref self = s->self;
    s->self = NULL;
    if (self) napi_delete_reference(env, self);
  }
  unhook(s); /* in a teardown, this tells Node that our part of it is done */
  if (s->finalized) free(s);
}

/* The environment is going away (Worker end, process exit) with the socket still open: no
 * Node-API call on the JS side from here on. Stop polling; the close callback unhooks. */
static void env_teardown(napi_async_cleanup_hook_handle h, void *arg) {
  (void)h;
  sock_t *s = (sock_t *)arg;
  s->teardown = 1;
  if (s->polling) {
    if (!s->closed) close_poll(s);
    return;
  }
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->closed = 1;
  unhook(s);
}

/* close(handle): stops polling and closes the socket (the fd once libuv has let go of it). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (s == NULL || s->closed) return NULL;
  if (s->polling) {
    close_poll(s);
  } else {
    s->closed = 1;
    close(s->fd);
    s->fd = -1;
    unhook(s);
  }
  return NULL;
}

#define SEND_MAX 64

/* sendMany(handle, bufs[], addrs[], ports[], start, count) -> datagrams sent (>= 0) or -errno
 * for the first one when none could be sent. Stops at the first failure, as sendmmsg does. */
static napi_value js_send_many(napi_env env, napi_callback_info info) {
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

/* addressText(meta, n, i) -> the text form of datagram i's source address (inet_ntop). */
static napi_value js_address_text(napi_env env, napi_callback_info info) {
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"recvStart", NULL, js_recv_start, NULL, NULL, NULL, napi_default, NULL},
    {"sendMany", NULL, js_send_many, NULL, NULL, NULL, napi_default, NULL},
    {"addressText", NULL, js_address_text, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
