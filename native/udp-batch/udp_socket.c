/* The socket's life: open, close, the finalizer, environment teardown; the module's init. */
#include "udp_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

sock_t *get_sock(napi_env env, napi_value obj) {
  void *p = NULL;
  if (napi_unwrap(env, obj, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "udp-batch: not a socket handle");
    return NULL;
  }
  return (sock_t *)p;
}

void free_buffers(sock_t *s) {
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

int parse_addr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
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
