// The watcher list of one presentity as an application/watcherinfo+xml document (RFC 3858),
// built from the live presence subscriptions of its actor. Always `state="full"`: a winfo
// subscriber never has to merge partial documents, and a version gap after a restart is then
// harmless (RFC 3858 §4: a full document replaces whatever the subscriber had).
import { createHash } from 'node:crypto';
import type { ActorSystem, Subscription } from '../actors/system.js';
import { renderWatcherInfo, type WatcherEntry, type WatcherEvent } from '../codec/winfo/render.js';

/** A stable, opaque watcher id (RFC 3858 §5 `id`): the dialog id is not shown to the presentity. */
function watcherId(sub: Subscription): string {
  return createHash('sha256').update(sub.rec.id).digest('base64url').slice(0, 16);
}

function eventOf(sub: Subscription): WatcherEvent {
  if (sub.winfoEvent !== undefined) return sub.winfoEvent;
  if (sub.ending !== null) return sub.ending === 'rejected' ? 'rejected' : sub.ending === 'noresource' ? 'noresource' : 'timeout';
  return 'subscribe';
}

/** The watchers of `aor` (Event: presence), as WatcherEntry values in a stable order. */
export function watcherEntries(sys: ActorSystem, aor: string, now: number): WatcherEntry[] {
  const actor = sys.presentities.get(aor);
  if (actor === undefined) return [];
  const out: WatcherEntry[] = [];
  for (const id of actor.watchers) {
    const sub = sys.subscriptions.get(id);
    if (sub === undefined || sub.ended) continue;
    const r = sub.rec;
    const uri = /^<([^>]*)>/.exec(r.remoteUri.slice(r.remoteUri.indexOf('<')))?.[1] ?? r.watcherAor;
    out.push({
      id: watcherId(sub),
      status: r.state,
      event: eventOf(sub),
      uri,
      expiration: Math.max(0, Math.round((r.expiresAt - now) / 1000)),
    });
  }
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

export function watcherInfoBody(sys: ActorSystem, aor: string, entity: string, version: number, now: number): string {
  return renderWatcherInfo({ version, state: 'full', resource: entity, package: 'presence', watchers: watcherEntries(sys, aor, now) });
}
