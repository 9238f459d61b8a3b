// The presentity actor's transitions: (state, message) → (state, effects), written against the
// batch's draft (presentity-state.ts) and free of I/O, clocks and randomness — the request
// handlers put `now`, new ETags and tags into the messages. Unit-tested without a socket.
//
// RFC 3903 §6 (PUBLISH steps 3-7 that need state), RFC 6665 §4.2.1-4.2.2 and RFC 3856 §6
// (subscription lifecycle), RFC 3857 (winfo watchers).
import { flat } from './strings.js';
import type { PidfDocument } from '../codec/pidf/types.js';
import { samePidf, type PubDoc } from './state-rules.js';
import type { PublicationRecord, StoreOp, SubscriptionRecord } from '../store/records.js';
import type { ReplyTo } from '../core/reply.js';
import { line, refuse } from '../core/reply.js';
import { SIP_ERR } from '../errors.js';
import { Pub, type MemberWatcher, type PresentityState } from './presentity-state.js';
import type { PresBatch } from './presentity-batch.js';
import { CSEQ_BLOCK, FINAL_SENT, Sub, TRANSIENT, WINFO_EVENTS, WITHHELD, toSec, type WinfoEvent } from './subscription.js';

import type { WatcherDecision } from '../policy/watcher-rules.js';
import { sharedStep, type SharedMsg } from './shared-transitions.js';

export type { WatcherDecision };

export type PresMsg =
  | { t: 'publish'; rt: ReplyTo; now: number; ifMatch: string | null; etag: string; expires: number; doc: PubDoc | null }
  | { t: 'pubExpired'; pub: Pub; now: number }
  | { t: 'subscribe'; rt: ReplyTo; rec: SubscriptionRecord; fetch: boolean; headers: string }
  | { t: 'resubscribe'; rt: ReplyTo; now: number; tag: string; callId: string; remoteTag: string; event: string; eventId: string | null; cseq: number; expires: number; target: string | null; headers: string; source?: string }
  | { t: 'subExpired'; sub: Sub; now: number }
  | { t: 'notified'; sub: Sub; status: number; retryAfter: number | null }
  | { t: 'reserve'; sub: Sub }
  | { t: 'decide'; sub: Sub; decision: WatcherDecision }
  | { t: 'end'; sub: Sub; reason: string }
  /** The flow (connection) the dialog's NOTIFYs go on closed: it ends without a NOTIFY. */
  | { t: 'drop'; sub: Sub; reason: string }
  | { t: 'watch'; w: MemberWatcher }
  | { t: 'unwatch'; w: MemberWatcher }
  | SharedMsg;

export interface TransitionConfig {
  /** What a NOTIFY timeout does to its subscription (Kamailio's timeout_rm_subs). */
  notifyTimeout: 'end' | 'keep';
}

/** Two documents carry the same presence when their serialized elements are equal. */
export function sameDocument(a: PidfDocument, b: PidfDocument): boolean {
  return samePidf(a, b);
}

export function step(s: PresentityState, b: PresBatch, m: PresMsg, cfg: TransitionConfig): void {
  switch (m.t) {
    case 'publish':
      return publish(s, b, m);
    case 'pubExpired':
      return pubExpired(s, b, m.pub, m.now);
    case 'subscribe':
      return subscribe(s, b, m);
    case 'resubscribe':
      return resubscribe(s, b, m);
    case 'subExpired':
      if (s.sub(m.sub.tag) !== m.sub || m.sub.ending || m.sub.expiresAt > m.now) return;
      terminate(b, m.sub, 'timeout', 'timeout');
      b.retry.push(m.sub);
      return;
    case 'notified':
      // A dialog handed to another node meanwhile: only its in-flight mark is left to clear.
      if (s.sub(m.sub.tag) !== m.sub) {
        b.outcomes.push(m.sub);
        return;
      }
      return notified(s, b, m, cfg);
    case 'reserve':
      if (s.sub(m.sub.tag) !== m.sub) {
        b.reserved.push(m.sub);
        return;
      }
      return reserve(b, m.sub);
    case 'decide':
      return decide(s, b, m.sub, m.decision);
    case 'watch':
      // A list subscription's member (RFC 4662): told the state at commit, and after each change.
      b.addMember(m.w);
      return;
    case 'unwatch':
      b.removeMember(m.w);
      return;
    case 'end':
      if (s.sub(m.sub.tag) === m.sub && !m.sub.ending) terminate(b, m.sub, m.reason, m.reason === 'rejected' ? 'rejected' : 'deactivated');
      return;
    case 'drop':
      return drop(s, b, m.sub);
    default:
      return sharedStep(s, b, m);
  }
}

// ---- PUBLISH (RFC 3903 §6) ------------------------------------------------------------------

function publish(s: PresentityState, b: PresBatch, m: Extract<PresMsg, { t: 'publish' }>): void {
  const old = m.ifMatch === null ? undefined : s.pubs?.get(m.ifMatch);
  // Step 3 (state part): an If-Match naming no live publication fails.
  if (m.ifMatch !== null && (old === undefined || old.rec.expiresAt <= m.now)) {
    b.reply(m.rt, refuse(SIP_ERR.CONDITIONAL_FAILED));
    return;
  }
  const ok = { status: 200, headers: line('SIP-ETag', m.etag) + line('Expires', m.expires) };
  if (m.expires === 0) {
    // Removal (step 7): an initial PUBLISH with Expires 0 stores nothing.
    if (old !== undefined) {
      b.deletePub(m.ifMatch!);
      b.pubOp(delPub(s, old.rec.id));
      b.pubTimers.push(old);
      b.bumpVersion();
    }
    b.reply(m.rt, ok);
    return;
  }
  // The package may drop what would move its state backwards (dialog: a stale `early`).
  const admit = s.rules.admit;
  const doc = m.doc === null ? old!.rec.doc : admit === undefined ? m.doc : admit(m.doc, b, m.now);
  // A modify whose body equals the stored one (Linphone refreshes with the full body) is a
  // refresh: same composed state, no NOTIFY.
  const same = old !== undefined && (m.doc === null || s.rules.same(old.rec.doc, doc));
  const rec: PublicationRecord = { aor: s.aor, id: old?.rec.id ?? m.etag, etag: m.etag, expiresAt: m.now + m.expires * 1000, modified: same ? old!.rec.modified : m.now, doc };
  if (s.pkg !== 'presence') rec.event = s.pkg;
  let pub = old;
  if (pub === undefined) pub = new Pub(rec);
  else {
    b.deletePub(m.ifMatch!);
    b.setPubRec(pub, rec);
  }
  // Step 6: a new entity-tag on every success, never reused for this resource.
  b.setPub(m.etag, pub);
  b.pubOp({ t: 'putPub', rec });
  b.pubTimers.push(pub);
  if (!same) b.bumpVersion();
  b.reply(m.rt, ok);
}

function delPub(s: PresentityState, id: string): StoreOp {
  return s.pkg === 'presence' ? { t: 'delPub', aor: s.aor, id } : { t: 'delPub', aor: s.aor, id, event: s.pkg };
}

/** A publication's lifetime ran out (RFC 3903 §4). */
function pubExpired(s: PresentityState, b: PresBatch, pub: Pub, now: number): void {
  if (s.pubs?.get(pub.rec.etag) !== pub || pub.rec.expiresAt > now) return;
  b.deletePub(pub.rec.etag);
  b.pubOp(delPub(s, pub.rec.id));
  b.retry.push(pub);
  b.bumpVersion();
}

// ---- SUBSCRIBE (RFC 6665 §4.2.1) ------------------------------------------------------------

function subscribe(s: PresentityState, b: PresBatch, m: Extract<PresMsg, { t: 'subscribe' }>): void {
  const sub = new Sub(s.topic(m.rec), m.rec, m.fetch ? TRANSIENT : 0);
  b.addSub(sub);
  b.reply(m.rt, { status: 200, toTag: m.rec.tag, headers: m.headers });
  if (m.rec.event === 'presence') {
    b.setWinfoEvent(sub, winfoEvent('subscribe'));
    b.winfo = true;
  }
  if (m.fetch) {
    // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, then it ends; nothing is stored.
    b.end(sub, 'timeout', m.rec.state === 'pending' ? WITHHELD : 0);
    return;
  }
  b.ops.push({ t: 'putSub', rec: m.rec });
  b.timers.push(sub);
  b.notify.push(sub);
}

function resubscribe(s: PresentityState, b: PresBatch, m: Extract<PresMsg, { t: 'resubscribe' }>): void {
  const sub = s.sub(m.tag);
  if (sub === undefined || sub.ending || !sub.matches(m.callId, m.remoteTag, m.event, m.eventId)) {
    b.reply(m.rt, refuse(SIP_ERR.NO_SUBSCRIPTION));
    return;
  }
  // RFC 3261 §12.2.2: a lower or equal remote CSeq in a dialog is out of order.
  if (m.cseq <= sub.remoteCseq) {
    b.reply(m.rt, refuse(SIP_ERR.SUBSCRIBE_CSEQ));
    return;
  }
  // Target refresh (RFC 6665 §4.1.2.4 / RFC 3261 §12.2.2); NOTIFYs follow the newest flow.
  // An unchanged target or source keeps the string the dialog holds; a new one is copied flat (strings.ts).
  const target = m.target === null || m.target === sub.target ? sub.target : flat(m.target);
  const source = m.source === undefined || m.source === sub.source ? sub.source : flat(m.source);
  b.update(sub, { remoteCseq: m.cseq, expires: toSec(m.now + m.expires * 1000), target, source });
  b.reply(m.rt, { status: 200, headers: m.headers });
  if (m.expires === 0) {
    // Unsubscribe (§4.2.1.4): the final NOTIFY follows; the record goes now.
    terminate(b, sub, 'timeout', 'timeout');
    return;
  }
  b.ops.push({ t: 'putSub', rec: sub.record() });
  b.timers.push(sub);
  b.notify.push(sub);
}

function winfoEvent(e: WinfoEvent): number {
  return WINFO_EVENTS.indexOf(e);
}

/**
 * Ends a dialog: its final NOTIFY (`terminated;reason=…`) is sent at commit, without state when
 * the watcher never saw any (pending) or is refused (RFC 6665 §4.2.2, RFC 3857 §3.2.4).
 */
function terminate(b: PresBatch, sub: Sub, reason: string, winfo: WinfoEvent): void {
  if ((sub.flags & TRANSIENT) === 0) b.ops.push({ t: 'delSub', tag: sub.tag });
  const withheld = sub.pending || reason === 'rejected';
  b.end(sub, reason, withheld ? WITHHELD : 0);
  if (sub.event === 'presence') {
    b.setWinfoEvent(sub, winfoEvent(winfo));
    b.winfo = true;
  }
}

// ---- NOTIFY outcomes and CSeq reservations ---------------------------------------------------

/** The NOTIFY transaction ended (RFC 6665 §4.2.2; 408 policy as Kamailio's timeout_rm_subs). */
function notified(s: PresentityState, b: PresBatch, m: Extract<PresMsg, { t: 'notified' }>, cfg: TransitionConfig): void {
  const { sub, status } = m;
  b.outcomes.push(sub);
  if (s.sub(sub.tag) !== sub) return; // already gone (its flow closed meanwhile)
  if (sub.ending) {
    // The final NOTIFY got its answer: the dialog is over (a non-final one: the final follows).
    if ((sub.flags & FINAL_SENT) !== 0) {
      b.removeSub(sub);
      if (sub.event === 'presence') b.winfo = true;
    }
    return;
  }
  let end = false;
  if (status === 408) end = cfg.notifyTimeout === 'end';
  else if (status === 481 || status === 404 || status === 410) end = true;
  else if (status >= 300) end = m.retryAfter === null;
  if (!end) return;
  b.ops.push({ t: 'delSub', tag: sub.tag });
  b.removeSub(sub);
  if (sub.event === 'presence') {
    b.setWinfoEvent(sub, winfoEvent(status === 408 ? 'timeout' : 'giveup'));
    b.winfo = true;
  }
}

/**
 * The flow the dialog's SUBSCRIBE came on closed (RFC 5626 §5, RFC 7118): no NOTIFY can reach
 * the watcher, so the dialog ends without one and leaves the presentity; the other watchers
 * notice nothing but the watcher list (Kamailio #4118 skipped them). The client subscribes
 * again when it reconnects (RFC 3857: deactivated).
 */
function drop(s: PresentityState, b: PresBatch, sub: Sub): void {
  if (s.sub(sub.tag) !== sub) return;
  if (!sub.ending && (sub.flags & TRANSIENT) === 0) b.ops.push({ t: 'delSub', tag: sub.tag });
  b.removeSub(sub);
  if (sub.event === 'presence') {
    b.setWinfoEvent(sub, winfoEvent('deactivated'));
    b.winfo = true;
  }
}

/** Moves the dialog's persisted CSeq high-water mark up one block before NOTIFYs pass it. */
function reserve(b: PresBatch, sub: Sub): void {
  b.reserved.push(sub);
  if (sub.ending || (sub.flags & TRANSIENT) !== 0) return;
  b.update(sub, { cseqReserved: Math.max(sub.cseqReserved, sub.cseq) + CSEQ_BLOCK });
  b.ops.push({ t: 'putSub', rec: sub.record() });
}

// ---- watcher rules changed (RFC 3857 §3.2.2, RFC 5025) ---------------------------------------

function decide(s: PresentityState, b: PresBatch, sub: Sub, d: WatcherDecision): void {
  if (sub.ending || sub.event !== s.pkg || d === 'confirm') return;
  if (d === 'block') {
    terminate(b, sub, 'rejected', 'rejected');
    return;
  }
  const polite = d === 'polite-block';
  if (!sub.pending && sub.polite === polite) return;
  if (sub.pending) b.setWinfoEvent(sub, winfoEvent('approved'));
  b.update(sub, { pending: false, polite });
  b.ops.push({ t: 'putSub', rec: sub.record() });
  b.notify.push(sub);
  if (sub.event === 'presence') b.winfo = true;
}
