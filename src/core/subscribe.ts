// SUBSCRIBE (RFC 6665 §4.2.1, RFC 3856 §6): new subscriptions create a dialog (200 with our
// To-tag and Contact), in-dialog ones refresh or end it (Expires 0); every accepted SUBSCRIBE
// is followed at once by a NOTIFY carrying the current state. Two packages: `presence`
// (RFC 3856) for anyone the watcher rules let in, and `presence.winfo` (RFC 3857) for the
// presentity itself only, whose NOTIFYs carry its watcher list (RFC 3858).
import { getHeader, getHeaderValues, parseCSeq } from '../codec/sip/headers.js';
import { parseNameAddr, tagOf } from '../codec/sip/name-addr.js';
import { parseUri, aorOf } from '../codec/sip/uri.js';
import type { ActorSystem, Subscription } from '../actors/system.js';
import { CSEQ_BLOCK } from '../actors/system.js';
import type { Notifier } from '../actors/notifier.js';
import type { Config } from '../config.js';
import type { SubscriptionRecord } from '../store/fdb-store.js';
import { grantExpires, parseEvent, randomToken, type RequestContext } from './context.js';
import { PIDF_TYPE } from './publish.js';
import { aorKey } from '../policy/aor.js';
import { WATCHERINFO_CONTENT_TYPE } from '../codec/winfo/render.js';

/** The packages we notify for: the value of Allow-Events everywhere (RFC 6665 §8.2.2). */
export const ALLOW_EVENTS = 'presence, presence.winfo';

export type WatcherDecision = 'allow' | 'block' | 'polite-block' | 'confirm';

export interface SubscribeDeps {
  sys: ActorSystem;
  notifier: Notifier;
  cfg: Readonly<Config>;
  /** Our Contact for the dialog, reachable from the watcher. */
  contactFor(ctx: RequestContext): string;
  /** Watcher authorization (RFC 3856 §5); 'allow' when no rules are configured. */
  authorize(presentityAor: string, watcherAor: string): WatcherDecision;
}

/** Does Accept allow `type`? (RFC 3856 §6.5, RFC 3857 §4.4: absent means the package default.) */
function accepts(values: string[], type: string): boolean {
  if (values.length === 0) return true;
  return values.some((v) => {
    const t = v.split(';')[0]!.trim().toLowerCase();
    return t === type || t === '*/*' || t === 'application/*';
  });
}

export function handleSubscribe(ctx: RequestContext, d: SubscribeDeps): void {
  const { req, now } = ctx;
  const { sys, cfg } = d;
  const event = parseEvent(getHeader(req, 'Event'));
  if (event === null || (event.pkg !== 'presence' && event.pkg !== 'presence.winfo')) {
    ctx.reply(489, { headers: [{ name: 'Allow-Events', value: ALLOW_EVENTS }] });
    return;
  }
  const winfo = event.pkg === 'presence.winfo';
  const bodyType = winfo ? WATCHERINFO_CONTENT_TYPE : PIDF_TYPE;
  if (!accepts(getHeaderValues(req, 'Accept'), bodyType)) {
    ctx.reply(406, { headers: [{ name: 'Accept', value: bodyType }] });
    return;
  }
  const expires = grantExpires(ctx, cfg);
  if (expires === null) return;
  const callId = getHeader(req, 'Call-ID') ?? '';
  const remoteTag = tagOf(getHeader(req, 'From') ?? '');
  if (remoteTag === null) {
    ctx.reply(400, { reason: 'Bad Request - From without tag' });
    return;
  }
  // The gate already refused a missing or malformed CSeq.
  const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '')?.seq ?? 0;
  const localTag = tagOf(getHeader(req, 'To') ?? '');
  const allowEvents = { name: 'Allow-Events', value: ALLOW_EVENTS };

  if (localTag !== null) {
    // In-dialog: refresh or unsubscribe (§4.2.1.4); unknown dialog → 481.
    const sub = sys.findSubscription(callId, localTag, remoteTag, event.pkg, event.id);
    if (sub === undefined || sub.ending !== null) {
      ctx.reply(481, { reason: 'Subscription Does Not Exist' });
      return;
    }
    if (cseq <= sub.rec.remoteCseq) {
      ctx.reply(500, { reason: 'Server Internal Error - CSeq out of order', headers: [{ name: 'Retry-After', value: '1' }] });
      return;
    }
    sub.rec.remoteCseq = cseq;
    sub.rec.expiresAt = now + expires * 1000;
    const contact = parseNameAddr(getHeaderValues(req, 'Contact')[0] ?? '');
    if (contact !== null) sub.rec.remoteTarget = contact.uri; // target refresh (RFC 6665 §4.1.2.4)
    const headers = [{ name: 'Expires', value: String(expires) }, { name: 'Contact', value: d.contactFor(ctx) }, allowEvents];
    if (expires === 0) {
      ctx.reply(200, { headers });
      d.notifier.terminate(sub, 'timeout');
      return;
    }
    sys.rescheduleSubscription(sub);
    sys.persistSubscription(sub).then(
      () => {
        ctx.reply(200, { headers });
        d.notifier.notify(sub);
      },
      () => ctx.reply(500, { reason: 'Server Internal Error - store', headers: [{ name: 'Retry-After', value: '5' }] }),
    );
    return;
  }

  // A new subscription.
  const to = parseNameAddr(getHeader(req, 'To') ?? '');
  const from = parseNameAddr(getHeader(req, 'From') ?? '');
  const ruri = parseUri(req.uri);
  const toUri = to === null ? null : parseUri(to.uri);
  const fromUri = from === null ? null : parseUri(from.uri);
  if (ruri === null || toUri === null || fromUri === null || (toUri.scheme !== 'sip' && toUri.scheme !== 'sips')) {
    ctx.reply(400, { reason: 'Bad Request - To/From not SIP URIs' });
    return;
  }
  if (!sys.servesDomain(ruri.host)) {
    ctx.reply(404, { reason: 'Not Found - domain not served here' });
    return;
  }
  const contact = parseNameAddr(getHeaderValues(req, 'Contact')[0] ?? '');
  if (contact === null) {
    ctx.reply(400, { reason: 'Bad Request - SUBSCRIBE without Contact' });
    return;
  }
  // The presentity is the Request-URI's resource (RFC 3856 §6.2), named in PIDF as in To.
  const aor = ruri.user !== null ? aorOf(ruri) : aorOf(toUri);
  // The watcher is who authenticated, when we authenticate (RFC 5025 §3.1.1.2), else From.
  const watcherAor = ctx.identity !== null ? `sip:${ctx.identity}` : aorOf(fromUri);
  const self = aorKey(aor) === aorKey(watcherAor);
  if (winfo && !self) {
    // RFC 3857 §5.2: the watcher list is the presentity's own business.
    ctx.reply(403, { reason: 'Forbidden - only the presentity may watch its watchers' });
    return;
  }
  const decision = self ? 'allow' : d.authorize(aor, watcherAor);
  if (decision === 'block') {
    ctx.reply(403, { reason: 'Forbidden - watcher blocked' });
    return;
  }
  const newTag = randomToken();
  const rec: SubscriptionRecord = {
    id: newTag, // our dialog tag is unique per subscription: it is the key (see ActorSystem)
    aor,
    entity: to!.uri,
    event: event.pkg,
    eventId: event.id,
    callId,
    localTag: newTag,
    remoteTag,
    localUri: `<${to!.uri}>`,
    remoteUri: from!.displayName ? `"${from!.displayName.replace(/["\\]/g, '\\$&')}" <${from!.uri}>` : `<${from!.uri}>`,
    watcherAor,
    remoteTarget: contact.uri,
    routeSet: getHeaderValues(req, 'Record-Route'),
    localCseq: 0,
    cseqReserved: CSEQ_BLOCK,
    remoteCseq: cseq,
    expiresAt: now + expires * 1000,
    state: decision === 'confirm' ? 'pending' : 'active',
    polite: decision === 'polite-block',
    source: { address: ctx.source.address, port: ctx.source.port },
  };
  const sub: Subscription = { rec, inFlight: false, dirty: false, ending: null, ended: false, transient: expires === 0 };
  const headers = [
    { name: 'Expires', value: String(expires) },
    { name: 'Contact', value: d.contactFor(ctx) },
    allowEvents,
    ...rec.routeSet.map((r) => ({ name: 'Record-Route', value: r })),
  ];
  sys.addSubscription(sub);
  if (expires === 0) {
    // A fetch (RFC 6665 §4.4.3): one NOTIFY with the current state, then the subscription ends.
    ctx.reply(200, { toTag: newTag, headers });
    d.notifier.terminate(sub, 'timeout');
    return;
  }
  sys.persistSubscription(sub).then(
    () => {
      ctx.reply(200, { toTag: newTag, headers });
      d.notifier.started(sub);
    },
    () => {
      sys.removeSubscription(sub);
      ctx.reply(500, { reason: 'Server Internal Error - store', headers: [{ name: 'Retry-After', value: '5' }] });
    },
  );
}
