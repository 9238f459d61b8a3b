// The stored form of a watcher dialog: a fixed header and length-prefixed UTF-8 strings, read
// straight out of LMDB's buffer at restore. A million dialogs are read back at every start, so
// this skips msgpack's generic object decoding and the intermediate object per record (the
// restore sink gets one reused record and copies what it keeps), and it leaves out what is
// derivable: the entity when it is the AoR, `<entity>` as our From, the common package name.
//
// Layout (little endian):
//   u8 version (1) | u8 flags | f64 expiresAt (ms) | u32 remoteCseq | u32 cseqReserved
//   str tag | str aor | str callId | str remoteTag | str remoteUri | str watcherAor | str target
//   | str source | [str event unless EVENT_PRESENCE] [str eventId if EVENT_ID]
//   [str entity unless ENTITY_IS_AOR] [str localUri unless LOCAL_IS_ENTITY] | u8 route count | str route …
// where str = u16 byte length + bytes. A decoded localUri of '' stands for `<entity>`.
import type { SubscriptionRecord } from './records.js';

const VERSION = 1;
const PENDING = 1;
const POLITE = 2;
const EVENT_PRESENCE = 4;
const EVENT_ID = 8;
const ENTITY_IS_AOR = 16;
const LOCAL_IS_ENTITY = 32;
const HEADER = 18;

function strLen(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

export function encodeSubscription(r: SubscriptionRecord): Buffer {
  const presence = r.event === 'presence';
  const entityIsAor = r.entity === r.aor;
  const localIsEntity = r.localUri === `<${r.entity}>`;
  let size = HEADER + strLen(r.tag) + strLen(r.aor) + strLen(r.callId) + strLen(r.remoteTag) + strLen(r.remoteUri) + strLen(r.watcherAor) + strLen(r.target) + strLen(r.source) + 1;
  if (!presence) size += strLen(r.event);
  if (r.eventId !== null) size += strLen(r.eventId);
  if (!entityIsAor) size += strLen(r.entity);
  if (!localIsEntity) size += strLen(r.localUri);
  for (const route of r.routes) size += strLen(route);
  const b = Buffer.allocUnsafe(size);
  b[0] = VERSION;
  b[1] = (r.state === 'pending' ? PENDING : 0) | (r.polite ? POLITE : 0) | (presence ? EVENT_PRESENCE : 0)
    | (r.eventId !== null ? EVENT_ID : 0) | (entityIsAor ? ENTITY_IS_AOR : 0) | (localIsEntity ? LOCAL_IS_ENTITY : 0);
  b.writeDoubleLE(r.expiresAt, 2);
  b.writeUInt32LE(r.remoteCseq >>> 0, 10);
  b.writeUInt32LE(r.cseqReserved >>> 0, 14);
  let p = HEADER;
  const put = (s: string): void => {
    const n = b.write(s, p + 2, 'utf8');
    b.writeUInt16LE(n, p);
    p += 2 + n;
  };
  put(r.tag);
  put(r.aor);
  put(r.callId);
  put(r.remoteTag);
  put(r.remoteUri);
  put(r.watcherAor);
  put(r.target);
  put(r.source);
  if (!presence) put(r.event);
  if (r.eventId !== null) put(r.eventId);
  if (!entityIsAor) put(r.entity);
  if (!localIsEntity) put(r.localUri);
  b[p++] = r.routes.length;
  for (const route of r.routes) put(route);
  return b;
}

/** A record filled in place by decodeSubscription: one object for a whole restore. */
export function emptySubscription(): SubscriptionRecord {
  return {
    tag: '', aor: '', event: 'presence', eventId: null, callId: '', remoteTag: '', localUri: '', remoteUri: '', watcherAor: '',
    entity: '', target: '', routes: [], expiresAt: 0, remoteCseq: 0, cseqReserved: 0, state: 'active', polite: false, source: '',
  };
}

const NO_ROUTES: string[] = [];

/**
 * Fills `out` from a stored value. Returns false for bytes that are not a record of this
 * version (the caller drops the row). `localUri` comes back '' when it is `<entity>`.
 */
export function decodeSubscription(b: Uint8Array, size: number, out: SubscriptionRecord): boolean {
  if (size < HEADER + 1 || b[0] !== VERSION) return false;
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const flags = buf[1]!;
  let p = HEADER;
  // A record cut short (it never is, unless the file was damaged) reads as '' and is refused
  // by the final bound check rather than read past its end.
  const get = (): string => {
    if (p + 2 > size) {
      p = size + 1;
      return '';
    }
    const n = buf[p]! | (buf[p + 1]! << 8);
    const s = p + 2 + n <= size ? buf.toString('utf8', p + 2, p + 2 + n) : '';
    p += 2 + n;
    return s;
  };
  out.state = (flags & PENDING) !== 0 ? 'pending' : 'active';
  out.polite = (flags & POLITE) !== 0;
  out.expiresAt = buf.readDoubleLE(2);
  out.remoteCseq = buf.readUInt32LE(10);
  out.cseqReserved = buf.readUInt32LE(14);
  out.tag = get();
  out.aor = get();
  out.callId = get();
  out.remoteTag = get();
  out.remoteUri = get();
  out.watcherAor = get();
  out.target = get();
  out.source = get();
  out.event = (flags & EVENT_PRESENCE) !== 0 ? 'presence' : get();
  out.eventId = (flags & EVENT_ID) !== 0 ? get() : null;
  out.entity = (flags & ENTITY_IS_AOR) !== 0 ? out.aor : get();
  out.localUri = (flags & LOCAL_IS_ENTITY) !== 0 ? '' : get();
  const routes = buf[p++]!;
  if (routes === 0) out.routes = NO_ROUTES;
  else {
    out.routes = [];
    for (let i = 0; i < routes; i++) out.routes.push(get());
  }
  return p <= size;
}
