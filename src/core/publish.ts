// PUBLISH (RFC 3903 §6): the event state compositor's steps that need no state — resource,
// event package, SIP-If-Match, Expires, body — here; the rest (412, the new ETag, the commit,
// NOTIFYs to the watchers) in the presentity actor.
import { HDR } from '../codec/sip/msg.js';
import { mediaTypeOf } from '../codec/sip/headers.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import type { ActorSystem } from '../actors/system.js';
import type { Config } from '../config.js';
import { SIP_ERR } from '../errors.js';
import { grantExpires, parseEvent, type Request } from './context.js';
import { randomToken } from './random.js';
import { line, refuse } from './reply.js';

export const PIDF_TYPE = 'application/pidf+xml';

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
  // Step 2: the event package.
  const event = parseEvent(msg.first(HDR.Event));
  if (event === null || event.pkg !== 'presence') {
    req.reply(refuse(SIP_ERR.BAD_EVENT, line('Allow-Events', 'presence')));
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
  if (hasBody && mediaTypeOf(msg.first(HDR.ContentType)) !== PIDF_TYPE) {
    req.reply(refuse(SIP_ERR.UNSUPPORTED_TYPE, line('Accept', PIDF_TYPE)));
    return;
  }
  const pidf = req.pidf;
  if (hasBody && (pidf === null || !pidf.ok)) {
    const why = pidf !== null && !pidf.ok ? pidf.reason : 'body not parsed';
    req.reply(refuse(SIP_ERR.BAD_PIDF, line('Warning', `399 comsipl "${why.replace(/["\\\r\n]/g, ' ').slice(0, 120)}"`)));
    return;
  }
  const etag = ifMatch.length === 1 ? ifMatch[0]! : null;
  if (!hasBody && etag === null) {
    req.reply(refuse(SIP_ERR.NO_BODY));
    return;
  }
  sys.presentity(aorOf(ruri)).tell({
    t: 'publish', rt: req, now, ifMatch: etag, etag: randomToken(9), expires, doc: hasBody && pidf !== null && pidf.ok ? pidf.doc : null,
  });
}
