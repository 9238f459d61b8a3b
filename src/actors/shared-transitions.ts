// The presentity actor's transitions that exist only when several nodes share the store:
// taking in what another node changed (a fresh read of the publications), dialogs this node now
// notifies (adopted from a dead node, or handed over), and handing a dialog to another node.
// Same rules as presentity-transitions.ts: the draft only, no I/O.
import type { SubscriptionRecord } from '../store/records.js';
import { Pub, type PresentityState } from './presentity-state.js';
import type { PresBatch } from './presentity-batch.js';
import { Sub } from './subscription.js';
import type { PresSnapshot, WatcherSnapshot } from './shared.js';

export type SharedMsg =
  /** The stored publications as just read (null: the read failed). */
  | { t: 'sync'; snap: PresSnapshot | null }
  /** Another node changed the publications: they are at version `rev` now. */
  | { t: 'remote'; rev: number }
  /** Dialogs this node notifies from now on; `notify`: send each its state (a takeover). */
  | { t: 'adopt'; recs: SubscriptionRecord[]; notify: boolean }
  /** Another node takes the dialog over: forget it here (done(true)) once nothing is in flight. */
  | { t: 'release'; tag: string; done: (ok: boolean) => void }
  /** The watcher list changed elsewhere (version `rev`), and the list as just read. */
  | { t: 'remoteWatchers'; rev: number }
  | { t: 'watchers'; snap: WatcherSnapshot };

export function sharedStep(s: PresentityState, b: PresBatch, m: SharedMsg): void {
  switch (m.t) {
    case 'sync':
      // A failed read leaves the view unread: the next request reads again (and gets 503 now).
      if (m.snap !== null) sync(s, b, m.snap);
      return;
    case 'remote':
      if (m.rev > s.rev) b.reload = true;
      return;
    case 'adopt':
      return adopt(s, b, m.recs, m.notify);
    case 'remoteWatchers':
      if (m.rev > s.wrev && hasWinfo(s)) b.reloadWatchers = true;
      return;
    case 'watchers': {
      if (m.snap.rev < s.wrev) return;
      // Ours are in the chain already: keep the others' presence dialogs.
      const remote = m.snap.subs.filter((r) => r.event === 'presence' && s.sub(r.tag) === undefined);
      b.setRemote(remote, m.snap.rev);
      b.winfo = true;
      return;
    }
    case 'release': {
      const sub = s.sub(m.tag);
      if (sub !== undefined) b.removeSub(sub);
      b.handed.push(m.done);
      return;
    }
  }
}

/** Does a live presence.winfo dialog here need the watchers of other nodes? */
export function hasWinfo(s: PresentityState): boolean {
  for (let sub = s.head; sub !== null; sub = sub.next) if (sub.event === 'presence.winfo' && !sub.ending) return true;
  return false;
}

/**
 * Replaces the view of the publications by what the store holds. The first read after dialogs
 * were restored or adopted notifies them: other nodes may have changed the state meanwhile.
 */
function sync(s: PresentityState, b: PresBatch, snap: PresSnapshot): void {
  const first = s.rev < 0;
  if (!first && snap.rev <= s.rev) return;
  let changed = false;
  const stored = new Map<string, (typeof snap.pubs)[number]>();
  for (const rec of snap.pubs) stored.set(rec.id, rec);
  if (s.pubs !== null) {
    for (const pub of [...s.pubs.values()]) {
      const rec = stored.get(pub.rec.id);
      stored.delete(pub.rec.id);
      if (rec === undefined) {
        b.deletePub(pub.rec.etag);
        changed = true;
      } else if (rec.etag !== pub.rec.etag || rec.expiresAt !== pub.rec.expiresAt) {
        if (rec.modified !== pub.rec.modified || !s.rules.same(rec.doc, pub.rec.doc)) changed = true;
        b.deletePub(pub.rec.etag);
        b.setPubRec(pub, rec);
        b.setPub(rec.etag, pub);
      } else continue;
      b.pubTimers.push(pub);
    }
  }
  for (const rec of stored.values()) {
    const pub = new Pub(rec);
    b.setPub(rec.etag, pub);
    b.pubTimers.push(pub);
    changed = true;
  }
  b.setRev(snap.rev);
  if (changed || (first && s.head !== null)) b.bumpVersion();
}

function adopt(s: PresentityState, b: PresBatch, recs: readonly SubscriptionRecord[], notify: boolean): void {
  for (const rec of recs) {
    if (s.directory.has(rec.tag)) continue;
    // Resumes at the stored high-water mark: above every CSeq the previous notifier used.
    const sub = new Sub(s.topic(rec), rec, 0, rec.cseqReserved);
    b.addSub(sub);
    b.timers.push(sub);
    if (notify && s.rev >= 0) b.notify.push(sub);
  }
  // Not read yet: the first read notifies every dialog (sync above).
  if (s.rev < 0) b.reload = true;
}
