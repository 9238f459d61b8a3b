// SUBSCRIBE (RFC 6665 §4.2.1, RFC 3856 §6): new subscriptions create a dialog (200 with our
// To-tag and Contact), in-dialog ones refresh or end it (Expires 0); every accepted SUBSCRIBE is
// followed at once by a NOTIFY carrying the current state. Two packages: `presence` (RFC 3856)
// for anyone the watcher rules let in, and `presence.winfo` (RFC 3857) for the presentity itself
// only, whose NOTIFYs carry its watcher list (RFC 3858). What needs the dialog's state (481,
// CSeq order) is decided by the presentity actor that owns it.
import { HDR } from '../codec/sip/msg.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import { DialogBusyError, type ActorSystem } from '../actors/system.js';
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { WatcherDecision } from '../actors/presentity-transitions.js';
import { CSEQ_BLOCK } from '../actors/subscription.js';
import type { Config } from '../config.js';
import type { SubscriptionRecord } from '../store/records.js';
import { SIP_ERR } from '../errors.js';
import { grantExpires, parseEvent, type Request } from './context.js';
import { randomToken } from './random.js';
import { line, refuse } from './reply.js';
import { PIDF_TYPE } from './publish.js';
import { aorKey } from '../policy/aor.js';
import { WATCHERINFO_CONTENT_TYPE } from '../codec/winfo/render.js';

export type { WatcherDecision };

/** The packages we notify for: the value of Allow-Events everywhere (RFC 6665 §8.2.2). */
export const ALLOW_EVENTS = 'presence, presence.winfo';
const ALLOW_EVENTS_LINE = line('Allow-Events', ALLOW_EVENTS);

export interface SubscribeDeps {
  sys: ActorSystem;
  cfg: Readonly<Config>;
  /** Our Contact for the dialog, reachable from the watcher. */
  contactFor(req: Request): string;
  /** Watcher authorization (RFC 3856 §5); 'allow' when no rules are configured. */
  authorize(presentityAor: string, watcherAor: string): WatcherDecision;
}

/** Does Accept allow `type`? (RFC 3856 §6.5, RFC 3857 §4.4: absent means the package default.) */
function accepts(values: string[], type: string): boolean {
  if (values.length === 0) return true;
  return values.some((v) => {
    const semi = v.indexOf(';');
    const t = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
    return t === type || t === '*/*' || t === 'application/*';
  });
}

export function handleSubscribe(req: Request, d: SubscribeDeps): void {
  const { msg, now } = req;
  const { sys, cfg } = d;
  const event = parseEvent(msg.first(HDR.Event));
  if (event === null || (event.pkg !== 'presence' && event.pkg !== 'presence.winfo')) {
    req.reply(refuse(SIP_ERR.BAD_EVENT, ALLOW_EVENTS_LINE));
    return;
  }
  const winfo = event.pkg === 'presence.winfo';
  const bodyType = winfo ? WATCHERINFO_CONTENT_TYPE : PIDF_TYPE;
  if (!accepts(msg.values(HDR.Accept), bodyType)) {
    req.reply(refuse(SIP_ERR.NOT_ACCEPTABLE, line('Accept', bodyType)));
    return;
  }
  const expires = grantExpires(req, cfg);
  if (expires === null) return;
  const remoteTag = msg.fromTag;
  if (remoteTag === null) {
    req.reply(refuse(SIP_ERR.NO_FROM_TAG));
    return;
  }
  const headers = line('Expires', expires) + line('Contact', d.contactFor(req)) + ALLOW_EVENTS_LINE;
  const localTag = msg.toTag;
  if (localTag !== null) {
    // In-dialog: refresh or unsubscribe (§4.2.1.4); an unknown dialog → 481.
    const contact = parseNameAddr(msg.first(HDR.Contact) ?? '');
    const resubscribe = (owner: PresentityActor): void => owner.tell({
      t: 'resubscribe', rt: req, now, tag: localTag, callId: msg.callId, remoteTag, event: event.pkg, eventId: event.id,
      cseq: msg.cseq, expires, target: contact === null ? null : contact.uri, headers,
    });
    const owner = sys.ownerOf(localTag);
    if (owner !== undefined) resubscribe(owner);
    else if (sys.locator === null) req.reply(refuse(SIP_ERR.NO_SUBSCRIPTION));
    else {
      // Several nodes: the dialog may be notified by another one (or by a dead one): take it over.
      sys.locator.locate(localTag).then(
        (found) => (found === undefined ? req.reply(refuse(SIP_ERR.NO_SUBSCRIPTION)) : resubscribe(found)),
        (e: Error) => req.reply(refuse(e instanceof DialogBusyError ? SIP_ERR.DIALOG_BUSY : SIP_ERR.STORE_UNAVAILABLE)),
      );
    }
    return;
  }

  // A new subscription.
  const to = parseNameAddr(msg.first(HDR.To) ?? '');
  const from = parseNameAddr(msg.first(HDR.From) ?? '');
  const ruri = parseUri(msg.uri);
  const toUri = to === null ? null : parseUri(to.uri);
  const fromUri = from === null ? null : parseUri(from.uri);
  if (ruri === null || to === null || from === null || toUri === null || fromUri === null || (toUri.scheme !== 'sip' && toUri.scheme !== 'sips')) {
    req.reply(refuse(SIP_ERR.NOT_SIP_URIS));
    return;
  }
  if (!sys.servesDomain(ruri.host)) {
    req.reply(refuse(SIP_ERR.FOREIGN_DOMAIN));
    return;
  }
  const contact = parseNameAddr(msg.first(HDR.Contact) ?? '');
  if (contact === null) {
    req.reply(refuse(SIP_ERR.NO_CONTACT));
    return;
  }
  // The presentity is the Request-URI's resource (RFC 3856 §6.2), named in PIDF as in To.
  const aor = ruri.user !== null ? aorOf(ruri) : aorOf(toUri);
  // The watcher is who authenticated, when we authenticate (RFC 5025 §3.1.1.2), else From.
  const fromAor = aorOf(fromUri);
  const watcherAor = req.identity !== null ? `sip:${req.identity}` : fromAor;
  const self = aorKey(aor) === aorKey(watcherAor);
  if (winfo && !self) {
    // RFC 3857 §5.2: the watcher list is the presentity's own business.
    req.reply(refuse(SIP_ERR.WINFO_NOT_YOURS));
    return;
  }
  const decision = self ? 'allow' : d.authorize(aor, watcherAor);
  if (decision === 'block') {
    req.reply(refuse(SIP_ERR.WATCHER_BLOCKED));
    return;
  }
  const routes = msg.values(HDR.RecordRoute);
  const tag = randomToken();
  const rec: SubscriptionRecord = sys.intern({
    tag,
    aor,
    event: event.pkg,
    eventId: event.id,
    callId: msg.callId,
    remoteTag,
    localUri: `<${to.uri}>`,
    remoteUri: from.displayName ? `"${from.displayName.replace(/["\\]/g, '\\$&')}" <${from.uri}>` : `<${from.uri}>`,
    // '' = the AoR of From: derived when needed rather than kept twice per dialog.
    watcherAor: watcherAor === fromAor ? '' : watcherAor,
    entity: to.uri,
    target: contact.uri,
    routes,
    expiresAt: now + expires * 1000,
    remoteCseq: msg.cseq,
    cseqReserved: CSEQ_BLOCK,
    state: decision === 'confirm' ? 'pending' : 'active',
    polite: decision === 'polite-block',
    source: `${req.source.address} ${req.source.port}`,
  });
  let replyHeaders = headers;
  for (const r of routes) replyHeaders += line('Record-Route', r);
  sys.presentity(aor).tell({ t: 'subscribe', rt: req, rec, fetch: expires === 0, headers: replyHeaders });
}
