// PUBLISH (RFC 3903 §6): the event state compositor's steps that need no state — resource,
// event package, SIP-If-Match, Expires, body — here; the rest (412, the new ETag, the commit,
// NOTIFYs to the watchers) in the presentity actor.
import { HDR } from '../codec/sip/header-ids.js';
import { mediaTypeOf } from '../codec/sip/headers.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import type { ActorSystem } from '../actors/system.js';
import type { Config } from '../config/schema.js';
import { SIP_ERR } from '../errors.js';
import { grantExpires, parseEvent, type Request } from './context.js';
import { randomToken } from './random.js';
import { line, refuse } from './reply.js';

export { PIDF_TYPE } from '../packages/presence.js';

export function handlePublish(req: Request, sys: ActorSystem, cfg: Readonly<Config>): void {
  const { msg, now } = req;
  // Step 1: the Request-URI names the presentity.
  const ruri = parseUri(msg.uri);
  if (ruri === null || (ruri.scheme !== 'sip' && ruri.scheme !== 'sips') || ruri.user === null) {
    req.reply(refuse(SIP_ERR.NO_PRESENTITY));
    return;
  }
  if (!sys.servesDomain(ruri.host)) {
    req.reply(refuse(SIP_ERR.FOREIGN_DOMAIN));
    return;
  }
  // Step 2: the event package, one that takes publications (the registry's).
  const event = parseEvent(msg.first(HDR.Event));
  const pkg = event === null ? undefined : sys.packages.get(event.pkg);
  if (pkg === undefined || pkg.publishTypes.length === 0 || pkg.parse === undefined) {
    req.reply(refuse(SIP_ERR.BAD_EVENT, line('Allow-Events', publishable(sys))));
    return;
  }
  // Step 3: SIP-If-Match holds at most one entity-tag (a token: a comma means several).
  const ifMatch = msg.values(HDR.SipIfMatch);
  if (ifMatch.length > 1) {
    req.reply(refuse(SIP_ERR.MANY_IF_MATCH));
    return;
  }
  // Step 4: Expires — never lengthened beyond the maximum, 423 below the minimum.
  const expires = grantExpires(req, cfg);
  if (expires === null) return;
  // Step 5: the body must be of a type the package knows, and a valid document.
  const hasBody = msg.bodyLength > 0;
  if (hasBody && !pkg.publishTypes.includes(mediaTypeOf(msg.first(HDR.ContentType)) ?? '')) {
    req.reply(refuse(SIP_ERR.UNSUPPORTED_TYPE, line('Accept', pkg.publishTypes.join(', '))));
    return;
  }
  const parsed = hasBody ? pkg.parse(req) : null;
  if (parsed !== null && !parsed.ok) {
    const why = parsed.reason;
    const err = pkg.name === 'presence' ? SIP_ERR.BAD_PIDF : parsed.status === 413 ? SIP_ERR.BODY_TOO_LARGE : SIP_ERR.BAD_BODY;
    req.reply(refuse(err, line('Warning', `399 comsipl "${why.replace(/["\\\r\n]/g, ' ').slice(0, 120)}"`)));
    return;
  }
  const etag = ifMatch.length === 1 ? ifMatch[0]! : null;
  if (!hasBody && etag === null) {
    req.reply(refuse(SIP_ERR.NO_BODY));
    return;
  }
  sys.presentity(aorOf(ruri), pkg.stateOf).tell({
    t: 'publish', rt: req, now, ifMatch: etag, etag: randomToken(9), expires, doc: parsed !== null && parsed.ok ? parsed.doc : null,
  });
}

/** Allow-Events of a 489 to PUBLISH: the packages that take publications. */
function publishable(sys: ActorSystem): string {
  return sys.packages.allowEvents.split(', ').filter((n) => (sys.packages.get(n)?.publishTypes.length ?? 0) > 0).join(', ');
}
