// Watcher authorization at run time (RFC 3856 §5, decisions as RFC 5025 §3.2.1): the rules
// file loaded into WatcherRules, reloaded on SIGHUP or when the file changes, and the
// consequences of a reload for subscriptions that already exist.
//
// API:
//   class WatcherPolicy {
//     constructor(rulesPath: string, sys: ActorSystem, notifier: Notifier, log: Logger)
//     decide(presentityAor, watcherAor): WatcherDecision
//     reload(why: string): boolean       // false (old rules kept, error logged) if the file is broken
//     watch(): void; close(): void       // fs.watch on the rules file, debounced
//   }
//
// After a reload every presence subscription is decided again:
//   pending + allow         → active, NOTIFY with the state (RFC 3857 §3.2.2 "approved")
//   pending + polite-block  → active with the closed document
//   pending/active + block  → NOTIFY terminated;reason=rejected, then removed (RFC 6665 §4.2.2)
//   active + polite-block/allow → the document switches between the closed and the real one
//   confirm                 → nothing changes: confirming concerns new watchers only
// Every change also reaches the presentity's presence.winfo subscribers.
import type { ActorSystem, Subscription } from '../actors/system.js';
import type { Notifier } from '../actors/notifier.js';
import type { Logger } from '../log.js';
import { WatcherRules, type WatcherDecision } from './watcher-rules.js';
import { watchFile } from './file-watch.js';

export class WatcherPolicy {
  readonly #rules: WatcherRules;
  readonly #sys: ActorSystem;
  readonly #notifier: Notifier;
  readonly #log: Logger;
  #watch: { close(): void } | null = null;

  /** Throws RulesFileError when the file exists but is invalid: a start must not guess. */
  constructor(rulesPath: string, sys: ActorSystem, notifier: Notifier, log: Logger) {
    this.#rules = WatcherRules.load(rulesPath);
    this.#sys = sys;
    this.#notifier = notifier;
    this.#log = log;
  }

  get path(): string {
    return this.#rules.path;
  }

  decide(presentityAor: string, watcherAor: string): WatcherDecision {
    return this.#rules.decide(presentityAor, watcherAor);
  }

  watch(): void {
    this.#watch ??= watchFile(this.#rules.path, () => this.reload('file change'));
    if (this.#watch === null) this.#log.warn({ file: this.#rules.path }, 'cannot watch the rules file; reload with SIGHUP');
  }

  close(): void {
    this.#watch?.close();
    this.#watch = null;
  }

  reload(why: string): boolean {
    try {
      this.#rules.reload();
    } catch (e) {
      this.#log.error({ err: (e as Error).message, why }, 'watcher rules not reloaded; keeping the previous rules');
      return false;
    }
    const changed = this.reapply();
    this.#log.info({ why, changed }, 'watcher rules reloaded');
    return true;
  }

  /** Decides every presence subscription again; returns how many changed. */
  reapply(): number {
    let changed = 0;
    const touched = new Set<string>();
    for (const sub of [...this.#sys.subscriptions.values()]) {
      if (sub.rec.event !== 'presence' || sub.ending !== null || sub.ended) continue;
      const outcome = this.#apply(sub, this.#rules.decide(sub.rec.aor, sub.rec.watcherAor));
      if (outcome !== 'same') changed++;
      // terminate() already told the winfo subscribers.
      if (outcome === 'changed') touched.add(sub.rec.aor);
    }
    for (const aor of touched) {
      const actor = this.#sys.presentities.get(aor);
      if (actor !== undefined) this.#notifier.watchersChanged(actor);
    }
    return changed;
  }

  #apply(sub: Subscription, d: WatcherDecision): 'same' | 'changed' | 'ended' {
    const r = sub.rec;
    if (d === 'confirm') return 'same';
    if (d === 'block') {
      sub.winfoEvent = 'rejected';
      this.#notifier.terminate(sub, 'rejected');
      return 'ended';
    }
    const polite = d === 'polite-block';
    if (r.state === 'active' && r.polite === polite) return 'same';
    if (r.state === 'pending') sub.winfoEvent = 'approved';
    r.state = 'active';
    r.polite = polite;
    this.#sys.persistSubscription(sub).catch((err: Error) => this.#log.error({ err: err.message, sub: r.id }, 'subscription update failed'));
    this.#notifier.notify(sub);
    return 'changed';
  }
}
