// SUBSCRIBE (RFC 6665 §4.2.1, RFC 3856 §6): new subscriptions create a dialog (200 with our
// To-tag and Contact), in-dialog ones refresh or end it (Expires 0); every accepted SUBSCRIBE is
// followed at once by a NOTIFY carrying the current state. The packages come from the registry
// (src/packages/): `presence` (RFC 3856) and `dialog` (RFC 4235) for anyone the watcher rules let
// in, `presence.winfo` (RFC 3857) for the presentity itself only. A SUBSCRIBE to a resource list
// (RFC 4662) is handed to the lists module. What needs the dialog's state (481, CSeq order) is
// decided by the actor that owns it.
import { HDR } from '../codec/sip/header-ids.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import { DialogBusyError, type ActorSystem } from '../actors/system.js';
import type { PresMsg } from '../actors/presentity-transitions.js';
import type { WatcherDecision } from '../actors/presentity-transitions.js';
import { CSEQ_BLOCK } from '../actors/subscription.js';
import type { Config } from '../config/schema.js';
import type { SubscriptionRecord } from '../store/records.js';
import { SIP_ERR } from '../errors.js';
import { grantExpires, parseEvent, type Request } from './context.js';
import { dialogTag } from './random.js';
import { line, refuse } from './reply.js';
import { aorKey } from '../policy/aor.js';
import { isReliable, sourceText, type Destination } from '../transport/destination.js';
import type { EventPackage } from '../packages/types.js';

export type { WatcherDecision };

/** A new SUBSCRIBE as the lists module sees it (src/packages/lists/list-subscribe.ts). */
export interface ListSubscribeHook {
  /** true when the SUBSCRIBE was a list subscription and has been answered or handed on. */
  subscribe(req: Request, pkg: EventPackage, ctx: { expires: number; headers: string; watcherAor: string; remoteTag: string }): boolean;
  /** The owner of a list subscription by our tag (in-dialog requests). */
  ownerOf(tag: string): { tell(m: ResubscribeMsg): void } | undefined;
}

export interface ResubscribeMsg {
  t: 'resubscribe';
  rt: Request;
  now: number;
  tag: string;
  callId: string;
  remoteTag: string;
  event: string;
  eventId: string | null;
  cseq: number;
  expires: number;
  target: string | null;
  headers: string;
}

export interface SubscribeDeps {
  sys: ActorSystem;
  cfg: Readonly<Config>;
  /** Our Contact for the dialog, reachable from the watcher. */
  contactFor(req: Request): string;
  /** Watcher authorization (RFC 3856 §5); 'allow' when no rules are configured. */
  authorize(presentityAor: string, watcherAor: string): WatcherDecision;
  /** The dialog `tag` takes its NOTIFYs on the flow `source` names (ends when it closes). */
  bindFlow?(source: Destination, tag: string): void;
  /** Resource list subscriptions (RFC 4662); absent = none served. */
  lists?: ListSubscribeHook;
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
  const allowEvents = line('Allow-Events', sys.packages.allowEvents);
  const event = parseEvent(msg.first(HDR.Event));
  const pkg = event === null ? undefined : sys.packages.get(event.pkg);
  if (event === null || pkg === undefined) {
    req.reply(refuse(SIP_ERR.BAD_EVENT, allowEvents));
    return;
  }
  const bodyType = pkg.notifyType;
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
  const headers = line('Expires', expires) + line('Contact', d.contactFor(req)) + allowEvents;
  const localTag = msg.toTag;
  if (localTag !== null) {
    // In-dialog: refresh or unsubscribe (§4.2.1.4); an unknown dialog → 481.
    const contact = parseNameAddr(msg.first(HDR.Contact) ?? '');
    // A refresh over a connection moves the dialog's NOTIFYs to it (a client that reconnected).
    const source = isReliable(req.source) ? sourceText(req.source) : undefined;
    if (source !== undefined) d.bindFlow?.(req.source, localTag);
    const resubscribe = (owner: { tell(m: Extract<PresMsg, { t: 'resubscribe' }>): void }): void => owner.tell({
      t: 'resubscribe', rt: req, now, tag: localTag, callId: msg.callId, remoteTag, event: event.pkg, eventId: event.id,
      cseq: msg.cseq, expires, target: contact === null ? null : contact.uri, headers, ...(source === undefined ? {} : { source }),
    });
    const owner = sys.ownerOf(localTag) ?? d.lists?.ownerOf(localTag);
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
  // A resource list (RFC 4662) is its own kind of subscription: the lists module takes it.
  if (d.lists?.subscribe(req, pkg, { expires, headers, watcherAor, remoteTag }) === true) return;
  const self = aorKey(aor) === aorKey(watcherAor);
  if (pkg.authorization === 'self' && !self) {
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
  const tag = dialogTag(now);
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
    source: sourceText(req.source),
  });
  if (isReliable(req.source)) d.bindFlow?.(req.source, tag);
  let replyHeaders = headers;
  for (const r of routes) replyHeaders += line('Record-Route', r);
  sys.presentity(aor, pkg.stateOf).tell({ t: 'subscribe', rt: req, rec, fetch: expires === 0, headers: replyHeaders });
}
