// PUBLISH (RFC 3903 §6): the event state compositor's processing steps in order — resource,
// event package, SIP-If-Match, Expires, body — then commit, 200 with a new SIP-ETag, and a
// NOTIFY to the presentity's watchers when the composed state changed.
import { getHeader, getHeaderLines, splitCommaList, mediaTypeOf } from '../codec/sip/headers.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import { sameDocument } from '../actors/presentity-actor.js';
import type { ActorSystem } from '../actors/system.js';
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { PublicationRecord } from '../store/fdb-store.js';
import type { Config } from '../config.js';
import { grantExpires, parseEvent, randomToken, type RequestContext } from './context.js';

export const PIDF_TYPE = 'application/pidf+xml';

export interface PresenceListener {
  /** The composed state of `actor` changed: NOTIFY its watchers. */
  presenceChanged(actor: PresentityActor): void;
}

export function handlePublish(ctx: RequestContext, sys: ActorSystem, cfg: Readonly<Config>, listener: PresenceListener): void {
  const { req, now } = ctx;
  // Step 1: the Request-URI names the presentity.
  const ruri = parseUri(req.uri);
  if (ruri === null || (ruri.scheme !== 'sip' && ruri.scheme !== 'sips') || ruri.user === null) {
    ctx.reply(404, { reason: 'Not Found - no presentity in Request-URI' });
    return;
  }
  if (!sys.servesDomain(ruri.host)) {
    ctx.reply(404, { reason: 'Not Found - domain not served here' });
    return;
  }
  // Step 2: the event package.
  const event = parseEvent(getHeader(req, 'Event'));
  if (event === null || event.pkg !== 'presence') {
    ctx.reply(489, { headers: [{ name: 'Allow-Events', value: 'presence' }] });
    return;
  }
  // Step 3: SIP-If-Match holds at most one entity-tag (a token: a comma means several).
  const ifMatch = getHeaderLines(req, 'SIP-If-Match').flatMap((l) => splitCommaList(l));
  if (ifMatch.length > 1) {
    ctx.reply(400, { reason: 'Bad Request - more than one SIP-If-Match' });
    return;
  }
  const etag = ifMatch.length === 1 ? ifMatch[0]!.trim() : null;
  // Step 4: Expires — never lengthened beyond the maximum, 423 below the minimum.
  const expires = grantExpires(ctx, cfg);
  if (expires === null) return;
  // Step 5: the body must be of a type the package knows, and a valid document.
  const hasBody = req.body.length > 0;
  if (hasBody && mediaTypeOf(getHeader(req, 'Content-Type')) !== PIDF_TYPE) {
    ctx.reply(415, { headers: [{ name: 'Accept', value: PIDF_TYPE }] });
    return;
  }
  if (hasBody && (ctx.pidf === null || !ctx.pidf.ok)) {
    const why = ctx.pidf !== null && !ctx.pidf.ok ? ctx.pidf.reason : 'body not parsed';
    ctx.reply(400, {
      reason: 'Bad Request - invalid PIDF document',
      headers: [{ name: 'Warning', value: `399 comsipl "${why.replace(/["\\\r\n]/g, ' ').slice(0, 120)}"` }],
    });
    return;
  }
  if (!hasBody && etag === null) {
    ctx.reply(400, { reason: 'Bad Request - initial PUBLISH without a body' });
    return;
  }
  const aor = aorOf(ruri);
  const actor = sys.presentity(aor);
  const old = etag === null ? undefined : actor.pubs.get(etag);
  if (etag !== null && (old === undefined || old.expiresAt <= now)) {
    sys.release(actor);
    ctx.reply(412);
    return;
  }
  const doc = hasBody && ctx.pidf !== null && ctx.pidf.ok ? ctx.pidf.doc : old!.doc;
  // Step 6: a new entity-tag on every success; never reused for this resource.
  const newEtag = randomToken(9);
  let rec: PublicationRecord | null = null;
  let changed = true;
  if (expires === 0) {
    changed = old !== undefined;
  } else {
    // A modify whose body equals the stored one (Linphone refreshes with the full body) is a refresh.
    const modified = old !== undefined && (!hasBody || sameDocument(old.doc, doc)) ? old.modified : now;
    changed = old === undefined || modified !== old.modified;
    rec = { aor, etag: newEtag, expiresAt: now + expires * 1000, modified, doc };
  }
  const ok = (): void => {
    ctx.reply(200, { headers: [{ name: 'SIP-ETag', value: newEtag }, { name: 'Expires', value: String(expires) }] });
    if (changed) {
      actor.version++;
      listener.presenceChanged(actor);
    }
    sys.release(actor);
  };
  if (rec === null && old === undefined) {
    ok(); // an initial PUBLISH with Expires 0 stores nothing
    return;
  }
  sys.commitPublication(actor, rec, old === undefined ? null : old.etag).then(ok, (err: Error) => {
    ctx.reply(500, { reason: 'Server Internal Error - store', headers: [{ name: 'Retry-After', value: '5' }] });
    void err;
    sys.release(actor);
  });
}

/** A publication's lifetime ran out (RFC 3903 §4): remove it and tell the watchers. */
export function expirePublication(sys: ActorSystem, actor: PresentityActor, rec: PublicationRecord, listener: PresenceListener): void {
  sys.commitPublication(actor, null, rec.etag).then(
    () => {
      actor.version++;
      listener.presenceChanged(actor);
      sys.release(actor);
    },
    () => undefined, // the store logged it; the next tick retries
  );
}
