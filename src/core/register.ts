// REGISTER (RFC 3261 §10.3): validate, turn the Contacts into binding changes, apply them to
// the AoR's registration state, commit to registered.fdb, then answer 200 listing every
// current binding with its remaining expiry.
import { getHeader, getHeaderValues, parseCSeq } from '../codec/sip/headers.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { parseUri, aorOf, uriEquals } from '../codec/sip/uri.js';
import type { SipHeader } from '../codec/sip/types.js';
import { applyRegister, removeAll, type BindingChange } from '../actors/registration-actor.js';
import type { BindingRecord } from '../store/fdb-store.js';
import type { ActorSystem } from '../actors/system.js';
import type { Config } from '../config.js';
import { deltaSeconds, type RequestContext } from './context.js';

function sameUri(a: string, b: string): boolean {
  const ua = parseUri(a);
  const ub = parseUri(b);
  return ua !== null && ub !== null ? uriEquals(ua, ub) : a === b;
}

function contactHeaders(bindings: readonly BindingRecord[], now: number): SipHeader[] {
  return bindings.map((b) => ({
    name: 'Contact',
    value: `${b.contact};expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
  }));
}

/** `<uri>` plus the params other than expires, as the binding's stored Contact text. */
function contactText(uri: string, params: Map<string, string | null>): string {
  let s = `<${uri}>`;
  for (const [k, v] of params) if (k !== 'expires') s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

export function handleRegister(ctx: RequestContext, sys: ActorSystem, cfg: Readonly<Config>): void {
  const { req, now } = ctx;
  const to = parseNameAddr(getHeader(req, 'To') ?? '');
  const toUri = to === null ? null : parseUri(to.uri);
  if (toUri === null || (toUri.scheme !== 'sip' && toUri.scheme !== 'sips')) {
    ctx.reply(400, { reason: 'Bad Request - To is not a SIP URI' });
    return;
  }
  if (!sys.servesDomain(toUri.host)) {
    ctx.reply(404, { reason: 'Not Found - domain not served here' });
    return;
  }
  const aor = aorOf(toUri);
  const callId = getHeader(req, 'Call-ID') ?? '';
  // The gate already refused a missing or malformed CSeq.
  const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '')?.seq ?? 0;
  const headerExpires = getHeader(req, 'Expires');
  const defaultExpires = deltaSeconds(headerExpires) ?? cfg.defaultExpires;
  const contacts = getHeaderValues(req, 'Contact');

  if (contacts.length === 0) {
    // §10.2.3: a REGISTER without Contact is a query.
    const current = sys.bindingsOf(aor, now);
    ctx.reply(200, { headers: [...contactHeaders(current, now), { name: 'Date', value: new Date(now).toUTCString() }] });
    return;
  }

  let transition;
  if (contacts.some((c) => c.trim() === '*')) {
    // §10.3 step 6: `*` only alone and only with Expires: 0.
    if (contacts.length !== 1 || deltaSeconds(headerExpires) !== 0) {
      ctx.reply(400, { reason: 'Bad Request - Contact * needs Expires 0 and no other Contact' });
      return;
    }
    transition = removeAll();
  } else {
    const changes: BindingChange[] = [];
    for (const value of contacts) {
      const na = parseNameAddr(value);
      const uri = na === null ? null : parseUri(na.uri);
      if (na === null || uri === null) {
        ctx.reply(400, { reason: 'Bad Request - malformed Contact' });
        return;
      }
      const asked = na.params.has('expires') ? deltaSeconds(na.params.get('expires')) ?? defaultExpires : defaultExpires;
      if (asked > 0 && asked < cfg.minExpires) {
        ctx.reply(423, { headers: [{ name: 'Min-Expires', value: String(cfg.minExpires) }] });
        return;
      }
      const q = na.params.get('q');
      changes.push({
        contact: contactText(na.uri, na.params),
        uri: na.uri,
        expires: Math.min(asked, cfg.maxExpires),
        q: q === undefined || q === null || Number.isNaN(Number(q)) ? null : Number(q),
        instance: na.params.get('+sip.instance') ?? null,
      });
    }
    transition = applyRegister(sys.bindingsOf(aor, now), changes, callId, cseq, now, sameUri);
  }
  if (!transition.ok) {
    ctx.reply(transition.status, { reason: transition.reason });
    return;
  }
  const after = transition.bindings;
  sys.setBindings(aor, after, now).then(
    () => ctx.reply(200, { headers: [...contactHeaders(after, now), { name: 'Date', value: new Date(now).toUTCString() }] }),
    (err: Error) => ctx.reply(500, { reason: `Server Internal Error - store: ${err.message.slice(0, 60)}` }),
  );
}
