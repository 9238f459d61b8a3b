/* Batched UDP for ComSIPL's main thread: recvmmsg/sendmmsg on a socket of its own, polled by
 * the Node event loop (uv_poll). One JS call per readable wake carries every datagram read in
 * that wake (one Buffer + one table), and one sendmmsg carries a whole batch of responses.
 * Plain Node-API (C), built against Node's own headers; Linux only (src/transport falls back
 * to node:dgram everywhere else).
 *   udp_socket.c  the socket's life: open, close, finalizer, environment teardown, module init
 *   udp_recv.c    the readable callback, recvmmsg into slots, one JS call per wake
 *   udp_send.c    sendmmsg of a batch */
#ifndef UDP_BATCH_H
#define UDP_BATCH_H
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <netinet/in.h>
#include <sys/socket.h>

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

napi_value throw_errno(napi_env env, const char *what, int err);
napi_value make_int(napi_env env, int64_t v);
sock_t *get_sock(napi_env env, napi_value obj);
void free_buffers(sock_t *s);
int parse_addr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len);

napi_value js_recv_start(napi_env env, napi_callback_info info);
napi_value js_address_text(napi_env env, napi_callback_info info);
napi_value js_send_many(napi_env env, napi_callback_info info);

#endif
