// Address-of-record keys for authorization rules.
//
// API:
//   aorKey(uri: string): string          // 'sip:Alice@Example.COM:5060;transport=udp' → 'Alice@example.com'
//   domainOfKey(key: string): string     // 'alice@example.com' → 'example.com'
//   isWildcardKey(key: string): boolean  // '*@example.com'
//
// Rules compare identities, not full URIs, so the key keeps only what names the user: the
// user part (case-sensitive, RFC 3261 §19.1.4, with %-escapes decoded) and the host
// (case-insensitive, so lowercased). Scheme (sip/sips/pres), port, uri-parameters and
// headers are dropped: RFC 5025 §3.1.1.2 likewise computes the watcher's identity from the
// user and host of the authenticated URI. The function never throws; input that is not a
// URI at all is returned trimmed, so it simply matches nothing.

/** Decodes %-escapes, but keeps the characters that delimit a key escaped, so a key stays a key. */
function unescape(user: string): string {
  if (!user.includes('%')) return user;
  let decoded: string;
  try {
    decoded = decodeURIComponent(user);
  } catch {
    return user;
  }
  return decoded.replace(/[%@<>:;?\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function aorKey(uri: string): string {
  let s = uri.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt + 1);
    // An unclosed '<' is not a name-addr: nothing to take apart (and stripping it would make
    // the key change each time it is computed again).
    if (gt < 0) return s;
    s = s.slice(lt + 1, gt).trim();
  }
  const scheme = /^(?:sips?|pres):/i.exec(s);
  if (scheme) s = s.slice(scheme[0].length);
  const at = s.indexOf('@');
  const user = at >= 0 ? unescape(s.slice(0, at)) : '';
  let host = at >= 0 ? s.slice(at + 1) : s;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    host = close > 0 ? host.slice(0, close + 1) : host;
  } else {
    const end = host.search(/[;?:>]/);
    if (end >= 0) host = host.slice(0, end);
  }
  host = host.toLowerCase();
  return at >= 0 ? `${user}@${host}` : host;
}

export function domainOfKey(key: string): string {
  const at = key.lastIndexOf('@');
  return at >= 0 ? key.slice(at + 1) : key;
}

export function isWildcardKey(key: string): boolean {
  return key.startsWith('*@');
}
