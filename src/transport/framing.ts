// SIP message framing on a byte stream (RFC 3261 §18.3): a message is its header block up to
// the first empty line, then exactly Content-Length bytes of body. Between messages, RFC 5626
// §4.4.1 keep-alives: a double CRLF "ping" is answered with a single CRLF "pong"; a lone CRLF
// (a pong, or stray line ends) is skipped.
//
// The framer never changes bytes it has handed out: a message is a view of the chunk it
// arrived in when it arrived whole (no copy), or of a buffer joined for it alone.

export type Frame =
  | { t: 'message'; data: Buffer }
  | { t: 'ping' }
  /** The stream cannot be framed any more (too large, no valid Content-Length): close it. */
  | { t: 'error'; why: string };

const CR = 13;
const LF = 10;

/** The value of a Content-Length (or compact `l`) line in a header block; -1 absent, -2 bad. */
export function contentLength(head: Buffer, end: number): number {
  let found = -1;
  let i = 0;
  while (i < end) {
    let eol = head.indexOf(LF, i);
    if (eol < 0 || eol > end) eol = end;
    // Header name: up to ':' (optional whitespace before it, RFC 3261 §7.3.1).
    let c = i;
    while (c < eol && head[c] !== 0x3a) c++;
    let ne = c;
    while (ne > i && (head[ne - 1] === 0x20 || head[ne - 1] === 0x09)) ne--;
    const len = ne - i;
    if (c < eol && (len === 14 || len === 1) && isContentLength(head, i, len)) {
      let v = c + 1;
      while (v < eol && (head[v] === 0x20 || head[v] === 0x09)) v++;
      let n = 0;
      let digits = 0;
      while (v < eol && head[v]! >= 0x30 && head[v]! <= 0x39) {
        n = n * 10 + (head[v]! - 0x30);
        if (++digits > 9) return -2;
        v++;
      }
      while (v < eol && (head[v] === 0x20 || head[v] === 0x09 || head[v] === CR)) v++;
      if (digits === 0 || v !== eol) return -2;
      // Two different values cannot be framed (RFC 3261 §18.3 leaves no way to pick one).
      if (found >= 0 && found !== n) return -2;
      found = n;
    }
    i = eol + 1;
  }
  return found;
}

const NAME = Buffer.from('content-length', 'latin1');

function isContentLength(b: Buffer, at: number, len: number): boolean {
  if (len === 1) return (b[at]! | 0x20) === 0x6c; // 'l'
  for (let k = 0; k < 14; k++) if ((b[at + k]! | 0x20) !== NAME[k]) return false;
  return true;
}

export interface FramerLimits {
  /** Largest message (header block + body) accepted. */
  maxMessage: number;
}

export class StreamFramer {
  #pending: Buffer | null = null;
  /** Start time (ms) of the partial message held, 0 when none (slow-loris bound). */
  partialSince = 0;
  readonly #limits: FramerLimits;

  constructor(limits: FramerLimits) {
    this.#limits = limits;
  }

  /** Bytes held of an incomplete message. */
  get buffered(): number {
    return this.#pending === null ? 0 : this.#pending.length;
  }

  /** Feeds a chunk; calls `out` for every frame it completes, in order. */
  push(chunk: Buffer, now: number, out: (f: Frame) => void): void {
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    let at = 0;
    let framed = false;
    const n = buf.length;
    while (at < n) {
      // Keep-alives between messages (RFC 5626 §4.4.1).
      if (buf[at] === CR || buf[at] === LF) {
        if (n - at >= 4 && buf[at] === CR && buf[at + 1] === LF && buf[at + 2] === CR && buf[at + 3] === LF) {
          out({ t: 'ping' });
          at += 4;
          continue;
        }
        if (buf[at] === CR && n - at >= 2 && buf[at + 1] === LF) {
          // A lone CRLF (a pong, or a line end between messages) is skipped; one that may be
          // the first half of a ping waits for the rest (held, but no slow-loris clock).
          if (n - at >= 3 && buf[at + 2] !== CR) {
            at += 2;
            continue;
          }
          if (n - at < 4) break;
          at += 2;
          continue;
        }
        if (buf[at] === CR && n - at < 2) break;
        at += 1; // a stray CR or LF
        continue;
      }
      const headEnd = buf.indexOf('\r\n\r\n', at, 'latin1');
      if (headEnd < 0) {
        if (n - at > this.#limits.maxMessage) return this.#fail(out, `header block over ${this.#limits.maxMessage} bytes`);
        break;
      }
      const cl = contentLength(buf.subarray(at, headEnd), headEnd - at);
      if (cl === -2) return this.#fail(out, 'unreadable Content-Length');
      // RFC 3261 §18.3 makes Content-Length mandatory on streams; a message without it is taken
      // as having no body (clients that omit it send none), and a body that follows anyway
      // will fail to parse as the next message.
      const body = cl < 0 ? 0 : cl;
      const end = headEnd + 4 + body;
      if (end - at > this.#limits.maxMessage) return this.#fail(out, `message of ${end - at} bytes over ${this.#limits.maxMessage}`);
      if (end > n) break;
      out({ t: 'message', data: buf.subarray(at, end) });
      framed = true;
      at = end;
    }
    if (at < n) {
      const rest = buf.subarray(at);
      const isMessage = rest[0] !== CR && rest[0] !== LF;
      // Hold a copy only when the rest is small against the chunk it sits in (a view would pin it).
      this.#pending = rest.length * 4 < buf.length ? Buffer.from(rest) : rest;
      // The clock runs from a message's first byte to its last, across chunks.
      if (!isMessage) this.partialSince = 0;
      else if (framed || this.partialSince === 0) this.partialSince = now;
    } else this.partialSince = 0;
  }

  #fail(out: (f: Frame) => void, why: string): void {
    this.#pending = null;
    this.partialSince = 0;
    out({ t: 'error', why });
  }
}
