// REGISTER (RFC 3261 §10.3): validate, turn the Contacts into binding changes, and hand them to
// the AoR's registration actor, which commits them to registered.fdb and answers 200 listing
// every current binding with its remaining expiry.
import { HDR } from '../codec/sip/header-ids.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { parseUri, aorOf, uriEquals } from '../codec/sip/uri.js';
import type { BindingChange } from '../actors/registration-actor.js';
import type { ActorSystem } from '../actors/system.js';
import type { Config } from '../config/schema.js';
import { SIP_ERR } from '../errors.js';
import { deltaSeconds, type Request } from './context.js';
import { line, refuse } from './reply.js';

export function sameUri(a: string, b: string): boolean {
  if (a === b) return true;
  const ua = parseUri(a);
  const ub = parseUri(b);
  return ua !== null && ub !== null && uriEquals(ua, ub);
}

/** `<uri>` plus the params other than expires, as the binding's stored Contact text. */
function contactText(uri: string, params: Map<string, string | null>): string {
  let s = `<${uri}>`;
  for (const [k, v] of params) if (k !== 'expires') s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

export function handleRegister(req: Request, sys: ActorSystem, cfg: Readonly<Config>): void {
  const { msg, now } = req;
  const to = parseNameAddr(msg.first(HDR.To) ?? '');
  const toUri = to === null ? null : parseUri(to.uri);
  if (toUri === null || (toUri.scheme !== 'sip' && toUri.scheme !== 'sips')) {
    req.reply(refuse(SIP_ERR.TO_NOT_SIP));
    return;
  }
  if (!sys.servesDomain(toUri.host)) {
    req.reply(refuse(SIP_ERR.FOREIGN_DOMAIN));
    return;
  }
  const aor = aorOf(toUri);
  const headerExpires = msg.first(HDR.Expires);
  const defaultExpires = deltaSeconds(headerExpires) ?? cfg.defaultExpires;
  const contacts = msg.values(HDR.Contact);
  let changes: BindingChange[] | 'all' | null = null;
  if (contacts.length > 0 && contacts.some((c) => c === '*')) {
    // §10.3 step 6: `*` only alone and only with Expires: 0.
    if (contacts.length !== 1 || deltaSeconds(headerExpires) !== 0) {
      req.reply(refuse(SIP_ERR.STAR_CONTACT));
      return;
    }
    changes = 'all';
  } else if (contacts.length > 0) {
    changes = [];
    for (const value of contacts) {
      const na = parseNameAddr(value);
      if (na === null || parseUri(na.uri) === null) {
        req.reply(refuse(SIP_ERR.BAD_CONTACT));
        return;
      }
      const asked = na.params.has('expires') ? deltaSeconds(na.params.get('expires')) ?? defaultExpires : defaultExpires;
      if (asked > 0 && asked < cfg.minExpires) {
        req.reply(refuse(SIP_ERR.INTERVAL_TOO_BRIEF, line('Min-Expires', cfg.minExpires)));
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
  }
  // §10.2.3: a REGISTER without Contact is a query (changes null).
  sys.registration(aor).tell({ t: 'register', rt: req, now, changes, callId: msg.callId, cseq: msg.cseq });
}
