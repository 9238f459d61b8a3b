// The generic checks a UAS runs on every parsed request before any method logic (RFC 3261
// §8.2), in one table so the order is visible and each rule has one place. Malformed-message
// checks (400) run first: a request we cannot read reliably is not judged on its method.
// Then the §8.2 order: version (§8.2 / §21.5.7), method (§8.2.1), URI scheme (§8.2.2.1),
// extensions (§8.2.2.3). `status: 0` means "send nothing" (ACK, §17.2.3 / §8.2).
import { ALLOW_HEADER, ALLOWED_METHODS, KNOWN_METHODS } from '../../errors.js';
import { parseCSeq } from './headers.js';
import { parseNameAddr } from './name-addr.js';
import { splitCommaList } from './params.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';
import type { SipHeader, SipRequest, SipResponse, SipUri } from './types.js';

export interface GateResult {
  status: number;
  reason: string;
  headers: SipHeader[];
}

export interface GateOptions {
  /** Option tags this server supports (Require of anything else → 420). */
  supportedExtensions: readonly string[];
}

/** Status of the marker result that means: no response at all (ACK). */
export const NO_RESPONSE = 0;

interface Ctx {
  req: SipRequest;
  opts: GateOptions;
  lines: Map<string, string[]>;
  /** Request-URI, parsed once by the 'request-uri' check. */
  uri: SipUri | null;
}

type Check = (c: Ctx) => GateResult | null;

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const; // §8.1.1
const SINGLE = ['To', 'From', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Expires'] as const;
const NAME_ADDR_SINGLE = new Set(['To', 'From', 'Content-Type']);
const ALLOWED = new Set<string>(ALLOWED_METHODS);
const ALLOW: SipHeader[] = [{ name: 'Allow', value: ALLOW_HEADER }];

function bad(reason: string): GateResult {
  return { status: 400, reason, headers: [] };
}

function allowResult(status: 405 | 501): GateResult {
  return { status, reason: status === 405 ? 'Method Not Allowed' : 'Not Implemented', headers: ALLOW.slice() };
}

function first(c: Ctx, name: string): string {
  return c.lines.get(name)?.[0] ?? '';
}

/** callid = word [ "@" word ] (§25.1); word chars are token chars plus ( ) < > : \ " / [ ] ? { }. */
function isCallId(s: string): boolean {
  if (s.length === 0) return false;
  let at = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '@') {
      if (++at > 1 || i === 0 || i === s.length - 1) return false;
      continue;
    }
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || ch === ',' || ch === ';' || ch === '=' || ch === '@') return false;
  }
  return true;
}

function nameAddrCheck(name: 'From' | 'To'): Check {
  return (c) => (parseNameAddr(first(c, name)) === null ? bad(`Bad ${name} header`) : null);
}

const CHECKS: ReadonlyArray<readonly [string, Check]> = [
  ['ack', (c) => (c.req.method === 'ACK' ? { status: NO_RESPONSE, reason: 'No Response', headers: [] } : null)],
  ['mandatory', (c) => {
    const missing = MANDATORY.filter((n) => !c.lines.has(n));
    return missing.length === 0 ? null : bad(`Bad Request - missing ${missing.join(', ')}`);
  }],
  ['single-valued', (c) => {
    const multi = SINGLE.filter((n) => {
      const l = c.lines.get(n);
      if (l === undefined) return false;
      if (l.length > 1) return true;
      return NAME_ADDR_SINGLE.has(n) ? splitCommaList(l[0]!).length > 1 : l[0]!.includes(',');
    });
    return multi.length === 0 ? null : bad(`Bad Request - multiple values in ${multi.join(', ')}`);
  }],
  ['via', (c) => {
    for (const line of c.lines.get('Via')!) {
      for (const v of splitCommaList(line, true)) if (parseVia(v) === null) return bad('Bad Via header');
    }
    return null;
  }],
  ['from', nameAddrCheck('From')],
  ['to', nameAddrCheck('To')],
  ['call-id', (c) => (isCallId(first(c, 'Call-ID')) ? null : bad('Bad Call-ID'))],
  ['cseq', (c) => {
    const cseq = parseCSeq(first(c, 'CSeq'));
    if (cseq === null) return bad('Bad CSeq');
    if (cseq.method === c.req.method) return null;
    // RFC 4475 §3.1.2.18 (mismatch02): for a method we do not know, 501 is the better answer.
    return KNOWN_METHODS.has(c.req.method) ? bad('Bad CSeq - method mismatch') : allowResult(501);
  }],
  ['request-uri', (c) => {
    const uri = parseUri(c.req.uri);
    c.uri = uri;
    if (uri === null) return bad('Bad Request-URI');
    // RFC 4475 §3.1.2.11 (escruri): headers are meaningless in a Request-URI.
    return uri.headers !== null ? bad('Bad Request-URI - headers not allowed') : null;
  }],
  ['contact', (c) => {
    const values: string[] = [];
    for (const line of c.lines.get('Contact') ?? []) values.push(...splitCommaList(line, true));
    for (const v of values) {
      if (v === '*') {
        if (c.req.method !== 'REGISTER' || values.length > 1) return bad('Bad Contact header');
      } else if (parseNameAddr(v) === null) return bad('Bad Contact header');
    }
    return null;
  }],
  ['version', (c) => (c.req.version.toUpperCase() === 'SIP/2.0' ? null : { status: 505, reason: 'Version Not Supported', headers: [] })],
  ['method', (c) => {
    if (ALLOWED.has(c.req.method)) return null;
    return allowResult(KNOWN_METHODS.has(c.req.method) ? 405 : 501);
  }],
  ['uri-scheme', (c) => {
    const scheme = c.uri?.scheme;
    return scheme === 'sip' || scheme === 'sips' ? null : { status: 416, reason: 'Unsupported URI Scheme', headers: [] };
  }],
  ['register-aor', (c) => {
    // §10.3 step 5: the AoR comes from To and must be a SIP/SIPS URI (RFC 4475 §3.3.4 unksm2).
    if (c.req.method !== 'REGISTER') return null;
    const to = parseNameAddr(first(c, 'To'));
    const scheme = to === null ? '' : (parseUri(to.uri)?.scheme ?? '');
    return scheme === 'sip' || scheme === 'sips' ? null : bad('Bad To header - not a SIP URI');
  }],
  ['require', (c) => {
    // §8.2.2.3: a UAS checks Require (not Proxy-Require), never for CANCEL (ACK is gone already).
    if (c.req.method === 'CANCEL') return null;
    const unknown: string[] = [];
    for (const line of c.lines.get('Require') ?? []) {
      for (const tag of splitCommaList(line)) if (!c.opts.supportedExtensions.includes(tag)) unknown.push(tag);
    }
    if (unknown.length === 0) return null;
    return { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: unknown.join(', ') }] };
  }],
];

const WATCHED = new Set<string>([...MANDATORY, ...SINGLE, 'Contact', 'Require']);

function collect(headers: readonly SipHeader[]): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (const h of headers) {
    if (!WATCHED.has(h.name)) continue;
    const l = lines.get(h.name);
    if (l === undefined) lines.set(h.name, [h.value]);
    else l.push(h.value);
  }
  return lines;
}

/**
 * Runs the generic checks; null when the request may go on to its method logic, otherwise the
 * response to send (`status: 0` = none). Reason phrases name the fault.
 */
export function gateRequest(req: SipRequest, opts: GateOptions): GateResult | null {
  const ctx: Ctx = { req, opts, lines: collect(req.headers), uri: null };
  for (const [, check] of CHECKS) {
    const r = check(ctx);
    if (r !== null) return r;
  }
  return null;
}

/**
 * Checks a UAC applies to a received response before matching it (§8.1.3.3): exactly one
 * Via, and the headers a transaction is matched on. Returns why it must be dropped, or null.
 */
export function gateResponse(res: SipResponse): string | null {
  const lines = collect(res.headers);
  const vias = (lines.get('Via') ?? []).flatMap((l) => splitCommaList(l));
  if (vias.length !== 1) return 'Response must carry exactly one Via';
  for (const n of MANDATORY) if (!lines.has(n)) return `Response missing ${n}`;
  if (parseCSeq(lines.get('CSeq')![0]!) === null) return 'Bad CSeq';
  return null;
}
