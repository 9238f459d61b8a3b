/* Trivial SIP responder for measuring the load generator alone (bench/README.md, "Built-in
 * generator"). It must cost far less per message than the generator it measures, so it
 * batches with recvmmsg/sendmmsg and keeps only what the generator's scenarios need:
 *   REGISTER (and anything unknown): "SIP/2.0 200 OK" followed by the request's own headers.
 *   PUBLISH: 200 with a fresh SIP-ETag; a body is kept as the presentity's state and sent in a
 *     NOTIFY to each of its watchers (no If-Match check, no expiry).
 *   SUBSCRIBE: 200 with a To-tag and Contact, then a NOTIFY (active, with the state if any);
 *     in-dialog with Expires 0: 200 then NOTIFY terminated, and the watcher is forgotten.
 *   Responses (to its NOTIFYs) are ignored; it never retransmits.
 * Tables are fixed-size hash tables with bounded probing: an entry that does not fit is
 * dropped, which shows up as generator failures, never as a crash. IPv4 loopback only; exits
 * after argv[2] seconds. Usage: responder [port] [seconds]; prints {"msg":"listening","port":P}. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SZ 4096
#define OUTQ 512
#define OUTSZ 2048
#define PROBES 32
#define NPRES (1 << 16)
#define NWATCH (1 << 17)
#define BODYMAX 1024

typedef struct { const char *p; int n; } str;

typedef struct {
  char aor[128]; int aorl;
  char body[BODYMAX]; int bodyl;
  int head; /* first watcher index, -1 */
  int used;
} Pres;

typedef struct {
  char callid[96]; int callidl;
  char from[192]; int froml; /* the subscriber's From value (our NOTIFY's To) */
  char to[192]; int tol;     /* the subscriber's To value with our tag (our NOTIFY's From) */
  char target[160]; int targetl;
  struct sockaddr_in addr;
  unsigned cseq;
  int pres, prev, next, used;
} Watcher;

static Pres *pres;
static Watcher *watch;
static int fd;
static char self[64];
static unsigned counter;
static char out[OUTQ][OUTSZ];
static struct iovec oiov[OUTQ];
static struct mmsghdr outs[OUTQ];
static struct sockaddr_in odst[OUTQ];
static int nout;

static void flush(void) {
  int at = 0;
  while (at < nout) {
    int n = sendmmsg(fd, outs + at, nout - at, 0);
    if (n <= 0) break; /* ENOBUFS and the like: the generator retransmits */
    at += n;
  }
  nout = 0;
}

/* Reserve an output datagram to `to`; returns its buffer (OUTSZ bytes). */
static char *take(const struct sockaddr_in *to) {
  if (nout == OUTQ) flush();
  odst[nout] = *to;
  return out[nout];
}

static void commit(int len) {
  oiov[nout].iov_base = out[nout]; oiov[nout].iov_len = len;
  memset(&outs[nout], 0, sizeof outs[nout]);
  outs[nout].msg_hdr.msg_iov = &oiov[nout]; outs[nout].msg_hdr.msg_iovlen = 1;
  outs[nout].msg_hdr.msg_name = &odst[nout]; outs[nout].msg_hdr.msg_namelen = sizeof odst[nout];
  nout++;
}

static unsigned hash(const char *p, int n) {
  unsigned h = 2166136261u;
  for (int i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static int is_name(str line, const char *lng, const char *compact) {
  int colon = 0;
  while (colon < line.n && line.p[colon] != ':') colon++;
  int end = colon;
  while (end > 0 && (line.p[end - 1] == ' ' || line.p[end - 1] == '\t')) end--;
  if ((int)strlen(lng) == end && strncasecmp(line.p, lng, end) == 0) return 1;
  return compact != NULL && end == 1 && (line.p[0] | 0x20) == compact[0];
}

static str value(str line) {
  int i = 0;
  while (i < line.n && line.p[i] != ':') i++;
  i++;
  while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t')) i++;
  return (str){line.p + i, line.n - i};
}

typedef struct {
  str method, ruri, via[8], from, to, callid, cseq, contact, body;
  int nvia, expires;
} Req;

static int parse(char *p, int len, Req *r) {
  memset(r, 0, sizeof *r);
  r->expires = -1;
  char *end = p + len, *eol = memmem(p, len, "\r\n", 2);
  if (eol == NULL) return 0;
  char *sp = memchr(p, ' ', eol - p);
  if (sp == NULL) return 0;
  r->method = (str){p, (int)(sp - p)};
  char *sp2 = memchr(sp + 1, ' ', eol - sp - 1);
  r->ruri = (str){sp + 1, (int)((sp2 ? sp2 : eol) - sp - 1)};
  int clen = 0;
  for (char *l = eol + 2; l < end;) {
    char *e = memmem(l, end - l, "\r\n", 2);
    if (e == NULL) e = end;
    if (e == l) { r->body = (str){e + 2, (int)(end - e - 2)}; break; }
    str line = {l, (int)(e - l)};
    if (is_name(line, "via", "v")) { if (r->nvia < 8) r->via[r->nvia++] = line; }
    else if (is_name(line, "from", "f")) r->from = line;
    else if (is_name(line, "to", "t")) r->to = line;
    else if (is_name(line, "call-id", "i")) r->callid = line;
    else if (is_name(line, "cseq", NULL)) r->cseq = line;
    else if (is_name(line, "contact", "m")) r->contact = value(line);
    else if (is_name(line, "expires", NULL)) r->expires = atoi(value(line).p);
    else if (is_name(line, "content-length", "l")) clen = atoi(value(line).p);
    l = e + 2;
  }
  if (r->body.p != NULL && r->body.n > clen) r->body.n = clen < 0 ? 0 : clen;
  return r->from.p != NULL && r->to.p != NULL && r->callid.p != NULL && r->cseq.p != NULL && r->nvia > 0;
}

static int put(char *o, int at, const char *p, int n) {
  if (at < 0 || at + n > OUTSZ - 64) return -1;
  memcpy(o + at, p, n);
  return at + n;
}

/* Status line, Via/From/To(+tag)/Call-ID/CSeq copied, then `extra`; Content-Length 0. */
static void reply(const Req *r, const struct sockaddr_in *to, const char *status, const char *totag, const char *extra) {
  char *o = take(to);
  int at = put(o, 0, status, strlen(status));
  for (int i = 0; i < r->nvia; i++) { at = put(o, at, r->via[i].p, r->via[i].n); at = put(o, at, "\r\n", 2); }
  at = put(o, at, r->from.p, r->from.n); at = put(o, at, "\r\n", 2);
  at = put(o, at, r->to.p, r->to.n);
  if (totag != NULL) { at = put(o, at, ";tag=", 5); at = put(o, at, totag, strlen(totag)); }
  at = put(o, at, "\r\n", 2);
  at = put(o, at, r->callid.p, r->callid.n); at = put(o, at, "\r\n", 2);
  at = put(o, at, r->cseq.p, r->cseq.n); at = put(o, at, "\r\n", 2);
  at = put(o, at, extra, strlen(extra));
  at = put(o, at, "Content-Length: 0\r\n\r\n", 21);
  if (at > 0) commit(at);
}

static void notify(Watcher *w, const char *state) {
  Pres *pr = w->pres >= 0 ? &pres[w->pres] : NULL;
  int bl = pr != NULL && strncmp(state, "active", 6) == 0 ? pr->bodyl : 0;
  char *o = take(&w->addr);
  int at = snprintf(o, OUTSZ,
    "NOTIFY %.*s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKresp%x\r\nMax-Forwards: 70\r\nFrom: %.*s\r\nTo: %.*s\r\n"
    "Call-ID: %.*s\r\nCSeq: %u NOTIFY\r\nContact: <sip:%s>\r\nEvent: presence\r\nSubscription-State: %s\r\n%sContent-Length: %d\r\n\r\n",
    w->targetl, w->target, self, counter++, w->tol, w->to, w->froml, w->from, w->callidl, w->callid, ++w->cseq, self, state,
    bl > 0 ? "Content-Type: application/pidf+xml\r\n" : "", bl);
  if (at <= 0 || at + bl >= OUTSZ) return;
  if (bl > 0) memcpy(o + at, pr->body, bl);
  commit(at + bl);
}

/* The AoR of a Request-URI: up to ';' or '?'. */
static str aor_of(str uri) {
  int n = 0;
  while (n < uri.n && uri.p[n] != ';' && uri.p[n] != '?') n++;
  return (str){uri.p, n};
}

static int find_pres(str aor, int create) {
  unsigned h = hash(aor.p, aor.n);
  int reuse = -1;
  for (int k = 0; k < PROBES; k++) {
    int i = (h + k) & (NPRES - 1);
    Pres *p = &pres[i];
    if (p->used && p->aorl == aor.n && memcmp(p->aor, aor.p, aor.n) == 0) return i;
    if (reuse < 0 && (!p->used || p->head < 0)) reuse = i; /* free, or nobody watches it */
  }
  if (!create || reuse < 0 || aor.n > (int)sizeof pres[0].aor) return -1;
  Pres *p = &pres[reuse];
  memcpy(p->aor, aor.p, aor.n); p->aorl = aor.n; p->bodyl = 0; p->head = -1; p->used = 1;
  return reuse;
}

static int find_watch(str callid, int create) {
  unsigned h = hash(callid.p, callid.n);
  int free_at = -1;
  for (int k = 0; k < PROBES; k++) {
    int i = (h + k) & (NWATCH - 1);
    Watcher *w = &watch[i];
    if (w->used && w->callidl == callid.n && memcmp(w->callid, callid.p, callid.n) == 0) return i;
    if (free_at < 0 && !w->used) free_at = i;
  }
  return create ? free_at : -1;
}

static void drop_watch(int i) {
  Watcher *w = &watch[i];
  if (w->pres >= 0) {
    if (w->prev >= 0) watch[w->prev].next = w->next; else pres[w->pres].head = w->next;
    if (w->next >= 0) watch[w->next].prev = w->prev;
  }
  w->used = 0;
}

static int copy_into(char *dst, int cap, str s) {
  if (s.n > cap) return -1;
  memcpy(dst, s.p, s.n);
  return s.n;
}

static void on_publish(const Req *r, const struct sockaddr_in *from) {
  char extra[96];
  snprintf(extra, sizeof extra, "SIP-ETag: e%x\r\nExpires: %d\r\n", counter++, r->expires < 0 ? 3600 : r->expires);
  reply(r, from, "SIP/2.0 200 OK\r\n", NULL, extra);
  int pi = find_pres(aor_of(r->ruri), 1);
  if (pi < 0) return;
  Pres *p = &pres[pi];
  if (r->expires == 0) { p->bodyl = 0; return; }
  if (r->body.n == 0 || r->body.n > BODYMAX) return; /* a refresh keeps the state */
  memcpy(p->body, r->body.p, r->body.n);
  p->bodyl = r->body.n;
  for (int w = p->head; w >= 0; w = watch[w].next) notify(&watch[w], "active;expires=3600");
}

static void on_subscribe(const Req *r, const struct sockaddr_in *from) {
  str to = value(r->to);
  int has_tag = memmem(to.p, to.n, ";tag=", 5) != NULL;
  str callid = value(r->callid);
  char extra[128];
  snprintf(extra, sizeof extra, "Contact: <sip:%s>\r\nExpires: %d\r\n", self, r->expires < 0 ? 3600 : r->expires);
  if (has_tag) {
    int i = find_watch(callid, 0);
    if (i < 0) { reply(r, from, "SIP/2.0 481 Call/Transaction Does Not Exist\r\n", NULL, ""); return; }
    reply(r, from, "SIP/2.0 200 OK\r\n", NULL, extra);
    if (r->expires == 0) { notify(&watch[i], "terminated;reason=timeout"); drop_watch(i); }
    else notify(&watch[i], "active;expires=3600");
    return;
  }
  int i = find_watch(callid, 1);
  if (i < 0) { reply(r, from, "SIP/2.0 503 Service Unavailable\r\n", NULL, ""); return; }
  Watcher *w = &watch[i];
  if (w->used) drop_watch(i); /* a retransmitted initial SUBSCRIBE: start over */
  char tag[16];
  snprintf(tag, sizeof tag, "t%x", counter++);
  str fv = value(r->from);
  str target = r->contact;
  if (target.n > 2 && target.p[0] == '<') {
    const char *gt = memchr(target.p, '>', target.n);
    target = (str){target.p + 1, gt ? (int)(gt - target.p - 1) : target.n - 1};
  }
  w->callidl = copy_into(w->callid, sizeof w->callid, callid);
  w->froml = copy_into(w->from, sizeof w->from, fv);
  w->targetl = copy_into(w->target, sizeof w->target, target);
  w->tol = to.n + 5 + (int)strlen(tag) < (int)sizeof w->to ? snprintf(w->to, sizeof w->to, "%.*s;tag=%s", to.n, to.p, tag) : -1;
  if (w->callidl < 0 || w->froml < 0 || w->targetl <= 0 || w->tol < 0) { reply(r, from, "SIP/2.0 503 Service Unavailable\r\n", NULL, ""); return; }
  w->addr = *from; w->cseq = 0; w->used = 1; w->prev = -1;
  w->pres = find_pres(aor_of(r->ruri), 1);
  w->next = w->pres >= 0 ? pres[w->pres].head : -1;
  if (w->next >= 0) watch[w->next].prev = i;
  if (w->pres >= 0) pres[w->pres].head = i;
  reply(r, from, "SIP/2.0 200 OK\r\n", tag, extra);
  notify(w, "active;expires=3600");
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int seconds = argc > 2 ? atoi(argv[2]) : 600;
  pres = calloc(NPRES, sizeof *pres);
  watch = calloc(NWATCH, sizeof *watch);
  if (pres == NULL || watch == NULL) { perror("calloc"); return 1; }
  fd = socket(AF_INET, SOCK_DGRAM, 0);
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
  snprintf(self, sizeof self, "127.0.0.1:%d", ntohs(sa.sin_port));
  printf("{\"msg\":\"listening\",\"port\":%d}\n", ntohs(sa.sin_port));
  fflush(stdout);
  static char in[BATCH][SZ];
  struct sockaddr_in from[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = in[i]; iov[i].iov_len = SZ;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i]; msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  time_t end = time(NULL) + seconds;
  Req r;
  while (time(NULL) < end) {
    for (int i = 0; i < BATCH; i++) msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    for (int i = 0; i < n; i++) {
      char *p = in[i];
      int l = (int)msgs[i].msg_len;
      if (l < 8 || memcmp(p, "SIP/2.0 ", 8) == 0) continue; /* responses are ignored */
      if (l >= 9 && memcmp(p, "PUBLISH ", 8) == 0) { if (parse(p, l, &r)) on_publish(&r, &from[i]); continue; }
      if (l >= 11 && memcmp(p, "SUBSCRIBE ", 10) == 0) { if (parse(p, l, &r)) on_subscribe(&r, &from[i]); continue; }
      char *eol = memmem(p, l, "\r\n", 2);
      if (!eol) continue;
      int rest = l - (int)(eol - p);
      char *o = take(&from[i]);
      if (14 + rest > OUTSZ) continue;
      memcpy(o, "SIP/2.0 200 OK", 14);
      memcpy(o + 14, eol, rest);
      commit(14 + rest);
    }
    flush();
  }
  return 0;
}
