// Header-name lookup on bytes: compact forms (RFC 3261 §7.3.3, RFC 6665 §8.2.1 …) and any-case
// spellings map to one canonical RFC spelling without allocating a string for known names.
//
// Why a hash table and not a Map<string>: the parser would otherwise decode and lower-case
// every header name just to look it up. Here the name is hashed straight from the datagram
// (ASCII case folded inline, as undici's tree.js does) and verified byte by byte. The table
// is built lazily on first use so importing this module has no side effects.

const CANONICAL = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact',
  'Content-Disposition', 'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type',
  'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'Flow-Timer', 'From', 'Identity', 'Identity-Info',
  'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization',
  'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority', 'Privacy', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By',
  'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require', 'Retry-After', 'Route',
  'RSeq', 'Security-Client', 'Security-Server', 'Security-Verify', 'Server', 'Service-Route',
  'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
  'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
] as const;

/** Compact forms: RFC 3261 §7.3.3 / §20, RFC 6665 §8.2.1 (o, u), RFC 3515 (r), RFC 4028 (x),
 * RFC 3892 (b), RFC 3841 (a, j, d), RFC 8224 (y), RFC 4474 (n). */
const COMPACT: ReadonlyArray<readonly [string, string]> = [
  ['i', 'Call-ID'], ['m', 'Contact'], ['f', 'From'], ['t', 'To'], ['v', 'Via'],
  ['l', 'Content-Length'], ['c', 'Content-Type'], ['k', 'Supported'], ['e', 'Content-Encoding'],
  ['s', 'Subject'], ['o', 'Event'], ['u', 'Allow-Events'], ['r', 'Refer-To'], ['x', 'Session-Expires'],
  ['y', 'Identity'], ['b', 'Referred-By'], ['a', 'Accept-Contact'], ['j', 'Reject-Contact'],
  ['d', 'Request-Disposition'], ['n', 'Identity-Info'],
];

const SIZE = 256; // power of two, > 2 × entries: short probe chains
const MASK = SIZE - 1;

interface Table {
  keys: (Uint8Array | null)[];
  values: string[];
  byLower: Map<string, string>;
}

let table: Table | null = null;

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = b[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function build(): Table {
  const t: Table = { keys: new Array<Uint8Array | null>(SIZE).fill(null), values: new Array<string>(SIZE).fill(''), byLower: new Map() };
  const add = (spelling: string, canonical: string): void => {
    const key = Buffer.from(spelling.toLowerCase(), 'latin1');
    let slot = hashBytes(key, 0, key.length) & MASK;
    while (t.keys[slot] !== null) slot = (slot + 1) & MASK;
    t.keys[slot] = key;
    t.values[slot] = canonical;
    t.byLower.set(spelling.toLowerCase(), canonical);
  };
  for (const name of CANONICAL) add(name, name);
  for (const [short, long] of COMPACT) add(short, long);
  return t;
}

function getTable(): Table {
  if (table === null) table = build();
  return table;
}

/**
 * Canonical name for the header name bytes `buf[start, end)`, or null when the name is not
 * one we know (the caller then keeps the original spelling, RFC 3261 §7.3.1: names are
 * case-insensitive, so an unknown name is compared case-insensitively later).
 */
export function lookupHeaderName(buf: Uint8Array, start: number, end: number): string | null {
  const t = getTable();
  const len = end - start;
  let slot = hashBytes(buf, start, end) & MASK;
  for (;;) {
    const key = t.keys[slot];
    if (key === null || key === undefined) return null;
    if (key.length === len) {
      let i = 0;
      for (; i < len; i++) {
        let c = buf[start + i]!;
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        if (c !== key[i]) break;
      }
      if (i === len) return t.values[slot]!;
    }
    slot = (slot + 1) & MASK;
  }
}

/** Canonical form of a header name given as a string (compact or any case); unknown → as given. */
export function canonicalHeaderName(name: string): string {
  return getTable().byLower.get(name.toLowerCase()) ?? name;
}

/** True when `name` is a name this table knows (so comparisons can use ===). */
export function isKnownHeaderName(canonical: string): boolean {
  return getTable().byLower.get(canonical.toLowerCase()) === canonical;
}
