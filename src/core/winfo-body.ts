// The watcher list of one presentity as an application/watcherinfo+xml document (RFC 3858),
// built from its actor's presence dialogs. Always `state="full"`: a winfo subscriber never has
// to merge partial documents, and a version gap after a restart is then harmless (RFC 3858 §4:
// a full document replaces whatever the subscriber had).
import { createHash } from 'node:crypto';
import type { PresentityActor } from '../actors/presentity-actor.js';
import { WINFO_EVENTS, fromAor, type Sub } from '../actors/subscription.js';
import { renderWatcherInfo, type WatcherEntry, type WatcherEvent } from '../codec/winfo/render.js';

/** A stable, opaque watcher id (RFC 3858 §5 `id`): the dialog id is not shown to the presentity. */
function watcherId(sub: { tag: string }): string {
  return createHash('sha256').update(sub.tag).digest('base64url').slice(0, 16);
}

function eventOf(sub: Sub): WatcherEvent {
  if (sub.winfo !== 0) return WINFO_EVENTS[sub.winfo] as WatcherEvent;
  if (sub.reason !== null) return sub.reason === 'rejected' ? 'rejected' : sub.reason === 'noresource' ? 'noresource' : 'timeout';
  return 'subscribe';
}

/** The URI inside the watcher's From (`"Bob" <sip:bob@x>;…` → `sip:bob@x`). */
function uriOf(remoteUri: string, fallback: string): string {
  const lt = remoteUri.indexOf('<');
  const gt = remoteUri.indexOf('>', lt + 1);
  return lt >= 0 && gt > lt ? remoteUri.slice(lt + 1, gt) : fallback;
}

/** The watchers of `actor` (Event: presence), as WatcherEntry values in a stable order. */
export function watcherEntries(actor: PresentityActor, now: number): WatcherEntry[] {
  const out: WatcherEntry[] = [];
  for (const sub of actor.watchers()) {
    const r = sub;
    out.push({
      id: watcherId(sub),
      status: sub.reason !== null ? 'terminated' : r.state,
      event: eventOf(sub),
      uri: uriOf(r.remoteUri, r.watcherAor),
      expiration: Math.max(0, Math.round((r.expiresAt - now) / 1000)),
    });
  }
  // With several nodes: the watchers other nodes notify (their list as last read).
  for (const r of actor.state.remote ?? []) {
    if (actor.state.sub(r.tag) !== undefined || r.expiresAt <= now) continue;
    out.push({
      id: watcherId(r),
      status: r.state,
      event: 'subscribe',
      uri: uriOf(r.remoteUri, r.watcherAor !== '' ? r.watcherAor : fromAor(r.remoteUri)),
      expiration: Math.max(0, Math.round((r.expiresAt - now) / 1000)),
    });
  }
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

export function watcherInfoBody(actor: PresentityActor, entity: string, version: number, now: number): string {
  return renderWatcherInfo({ version, state: 'full', resource: entity, package: 'presence', watchers: watcherEntries(actor, now) });
}
