// Watcher authorization at run time (RFC 3856 §5, decisions as RFC 5025 §3.2.1): the rules
// file loaded into WatcherRules, reloaded on SIGHUP or when the file changes, and the
// consequences of a reload for subscriptions that already exist.
//
// API:
//   class WatcherPolicy {
//     constructor(rulesPath: string, sys: ActorSystem, log: Logger)
//     decide(presentityAor, watcherAor): WatcherDecision
//     reload(why: string): boolean       // false (old rules kept, error logged) if the file is broken
//     reapply(): number                  // decisions re-sent to the actors; how many change a dialog
//     watch(): void; close(): void       // fs.watch on the rules file, debounced
//   }
//
// After a reload every presence subscription is decided again, and a decision that changes a
// dialog is sent to the presentity actor that owns it (which alone changes its dialogs):
//   pending + allow         → active, NOTIFY with the state (RFC 3857 §3.2.2 "approved")
//   pending + polite-block  → active with the closed document
//   pending/active + block  → NOTIFY terminated;reason=rejected, then removed (RFC 6665 §4.2.2)
//   active + polite-block/allow → the document switches between the closed and the real one
//   confirm                 → nothing changes: confirming concerns new watchers only
// Every change also reaches the presentity's presence.winfo subscribers.
import type { ActorSystem } from '../actors/system.js';
import type { Sub } from '../actors/subscription.js';
import type { Logger } from '../log.js';
import { WatcherRules, type WatcherDecision } from './watcher-rules.js';
import { watchFile } from './file-watch.js';

/** Would `d` change this dialog? (The actor decides again when the message arrives.) */
function changes(sub: Sub, d: WatcherDecision): boolean {
  if (d === 'confirm') return false;
  if (d === 'block') return true;
  return sub.pending || sub.polite !== (d === 'polite-block');
}

export class WatcherPolicy {
  readonly #rules: WatcherRules;
  readonly #sys: ActorSystem;
  readonly #log: Logger;
  #watch: { close(): void } | null = null;
  /** Called after a reload was applied (list subscriptions decide their members again). */
  afterReload: (() => void) | null = null;

  /** Throws RulesFileError when the file exists but is invalid: a start must not guess. */
  constructor(rulesPath: string, sys: ActorSystem, log: Logger) {
    this.#rules = WatcherRules.load(rulesPath);
    this.#sys = sys;
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
    this.afterReload?.();
    this.#log.info({ why, changed }, 'watcher rules reloaded');
    return true;
  }

  reapply(): number {
    let changed = 0;
    for (const actor of this.#sys.presentities.values()) {
      for (const sub of actor.watchers()) {
        if (sub.ending) continue;
        const d = this.#rules.decide(sub.aor, sub.watcherAor);
        if (!changes(sub, d)) continue;
        changed++;
        actor.tell({ t: 'decide', sub, decision: d });
      }
    }
    return changed;
  }
}
