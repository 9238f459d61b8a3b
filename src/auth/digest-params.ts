// Parsing of Authorization / Proxy-Authorization header values with the Digest scheme.
//
// API:
//   parseAuthorization(value: string): DigestCredentials | null
//   pickCredentials(values: readonly string[], realm: string): DigestCredentials | null
//   quoteString(s: string): string          // RFC 3261 §25.1 quoted-string with \" and \\ escaped
//
// parseAuthorization never throws: anything that is not a syntactically valid Digest
// credential with username, realm, nonce and response yields null, and the caller answers
// with a fresh challenge. Fields whose absence verifyDigest must report precisely (uri, qop,
// nc, cnonce, algorithm) are optional here and checked there.
//
// Grammar (RFC 3261 §25.1 "credentials" / "digest-response", RFC 7616 §3.4, RFC 7235 §2.1):
//   credentials   = "Digest" LWS dig-resp *(COMMA dig-resp)
//   dig-resp      = name EQUAL ( quoted-string / token )
// The scheme is case-insensitive, parameter names are case-insensitive, and each name may
// appear only once (RFC 7616 §3.4: "each parameter MUST only occur once"). Unquoted values
// are read leniently (up to whitespace or comma) because deployed phones send e.g. an
// unquoted `algorithm=MD5` or `qop=auth` and, less correctly, other fields unquoted too.

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  response: string;
  uri?: string;
  /** As sent; absent means MD5 (RFC 7616 §3.4 "If this is not present, it is assumed to be MD5"). */
  algorithm?: string;
  cnonce?: string;
  /** The nc value as sent (8 hex digits expected). */
  nc?: string;
  qop?: string;
  opaque?: string;
  userhash?: string;
  /** Every parameter, names lowercased, values unquoted. A Map so that names like `__proto__` are inert. */
  params: ReadonlyMap<string, string>;
}

// RFC 3261 §25.1 token characters.
const TOKEN = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') TOKEN[c.charCodeAt(0)] = 1;

function isToken(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

/** Returns the credentials, or null when `value` is not a usable Digest credential. */
export function parseAuthorization(value: string): DigestCredentials | null {
  if (typeof value !== 'string') return null;
  const s = value;
  const n = s.length;
  let i = 0;
  while (i < n && isWs(s.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isToken(s.charCodeAt(i))) i++;
  if (s.slice(schemeStart, i).toLowerCase() !== 'digest') return null;
  if (i >= n || !isWs(s.charCodeAt(i))) return null;

  const params = new Map<string, string>();
  for (;;) {
    // Skip whitespace and empty list elements ("a=1, , b=2" is legal under RFC 7230 §7).
    while (i < n && (isWs(s.charCodeAt(i)) || s.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && isToken(s.charCodeAt(i))) i++;
    if (i === nameStart) return null;
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d /* = */) return null;
    i++;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    let val: string;
    if (s.charCodeAt(i) === 0x22 /* " */) {
      i++;
      let out = '';
      let runStart = i;
      let closed = false;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 0x22) { out += s.slice(runStart, i); i++; closed = true; break; }
        if (c === 0x5c /* \ */) {
          // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)  (RFC 3261 §25.1)
          if (i + 1 >= n) return null;
          out += s.slice(runStart, i);
          i++;
          runStart = i;
        }
        i++;
      }
      if (!closed) return null;
      val = out;
    } else {
      const vStart = i;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (isWs(c) || c === 0x2c || c === 0x22) break;
        i++;
      }
      if (i === vStart) return null;
      val = s.slice(vStart, i);
    }
    if (params.has(name)) return null;
    params.set(name, val);
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) !== 0x2c) return null;
  }

  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const response = params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || response === undefined) return null;
  const creds: DigestCredentials = { username, realm, nonce, response, params };
  const optional = ['uri', 'algorithm', 'cnonce', 'nc', 'qop', 'opaque', 'userhash'] as const;
  for (const key of optional) {
    const v = params.get(key);
    if (v !== undefined) creds[key] = v;
  }
  return creds;
}

/**
 * RFC 3261 §22.4: a request may carry several Authorization headers, one per realm; the
 * server uses the one whose realm is its own. Returns the first parseable match, else null.
 */
export function pickCredentials(values: readonly string[], realm: string): DigestCredentials | null {
  for (const v of values) {
    const c = parseAuthorization(v);
    if (c !== null && c.realm === realm) return c;
  }
  return null;
}

/** A quoted-string with `"` and `\` escaped (RFC 3261 §25.1 quoted-pair). */
export function quoteString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}
