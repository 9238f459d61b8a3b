// The actor registry on the main thread: one presentity actor and one registration actor per
// address of record (made on first use, forgotten when they hold nothing), the directory of
// watcher dialogs (our tag → owning presentity), and the one expiry wheel whose timers reach
// the actors as messages. Also the sink a store restore streams into.
import { Runtime } from './runtime.js';
import { TimerWheel, type Timed } from './timer-wheel.js';
import { PresentityActor, type CoreObserver, type NotifySink, type PresenceEnv } from './presentity-actor.js';
import { RegistrationActor, type RegistrationEnv } from './registration-actor.js';
import { Pub } from './presentity-state.js';
import { Sub } from './subscription.js';
import type { Store } from '../store/store.js';
import { pubScope, type BindingRecord, type ListSubscriptionRecord, type PublicationRecord, type RestoreSink, type SubscriptionRecord } from '../store/records.js';
import type { Logger } from '../log.js';
import type { ResubscribeMsg } from '../core/subscribe.js';
import { isConnectionSource } from '../transport/destination.js';
import { buildRegistry, type PackageRegistry } from '../packages/registry.js';
import { Interner, flat } from './strings.js';

/** What list subscriptions (src/packages/lists) plug into the system: restore and expiry. */
export interface ListHost {
  /** Our tag → the list subscription's owner, for in-dialog requests and timers. */
  ownerOf(tag: string): { tell(m: { t: 'subExpired'; sub: Sub; now: number } | ResubscribeMsg): void } | undefined;
  restore(rec: ListSubscriptionRecord): void;
  /** Another node notifies it from now on: stop it here; false when it is not held here. */
  release(tag: string, done: (ok: boolean) => void): boolean;
  /** Our tags of the stored list subscriptions held. */
  tags(): IterableIterator<string>;
  readonly size: number;
}

/** The presentity actors' map key: presence keeps the bare AoR (as before packages existed). */
export function presentityKey(pkg: string, aor: string): string {
  return pubScope(pkg, aor);
}

import type { SharedState } from './shared.js';

/** The dialog's notifier is alive but did not hand it over in time: try again shortly. */
export class DialogBusyError extends Error {}

/** Finds, elsewhere than in this process, the dialog an in-dialog request names (a shared store). */
export interface DialogLocator {
  /** The actor that now owns the dialog here, or undefined when there is no such dialog. */
  locate(tag: string): Promise<{ tell(m: ResubscribeMsg): void } | undefined>;
}

export interface SystemConfig {
  notifyTimeout: 'end' | 'keep';
  /** Domains served; empty = any. */
  domain: readonly string[];
  /** The event packages; the defaults when absent. */
  packages?: PackageRegistry;
}


const NO_ROUTES: string[] = [];

export class ActorSystem {
  readonly runtime: Runtime;
  readonly presentities = new Map<string, PresentityActor>();
  readonly registrations = new Map<string, RegistrationActor>();
  /** Our dialog tag → the dialog (its presentity owns it). */
  readonly directory = new Map<string, Sub>();
  /** Dialogs per event package (presence, presence.winfo …). */
  /** Live dialogs per event package, per transport (TRANSPORTS order). */
  readonly subscriptionsByEvent = new Map<string, { n: number }[]>();
  readonly wheel: TimerWheel<Timed>;
  readonly #env: PresenceEnv & RegistrationEnv;
  readonly #domains: ReadonlySet<string>;
  readonly #strings = new Interner();
  /** Restored subscriptions deleted because their connection is gone. */
  droppedFlowless = 0;
  readonly packages: PackageRegistry;
  /** List subscriptions (set by the lists module when it is wired in). */
  lists: ListHost | null = null;
  #shared: SharedState | undefined;
  /** Set with a shared store: in-dialog requests for dialogs not held here ask it (takeover). */
  locator: DialogLocator | null = null;

  constructor(store: Store, log: Logger, cfg: SystemConfig, notifier: NotifySink, sameUri: (a: string, b: string) => boolean, now = Date.now()) {
    this.runtime = new Runtime(store, log);
    this.wheel = new TimerWheel<Timed>(1000, now);
    this.#domains = new Set(cfg.domain.map((d) => d.toLowerCase()));
    this.packages = cfg.packages ?? buildRegistry();
    this.#env = {
      packages: this.packages,
      sameUri,
      observer: null,
      releaseRegistration: (r) => {
        if (this.registrations.get(r.aor) === r) this.registrations.delete(r.aor);
      },
      runtime: this.runtime,
      wheel: this.wheel,
      directory: this.directory,
      perEvent: this.subscriptionsByEvent,
      notifier,
      notifyTimeout: cfg.notifyTimeout,
      release: (a) => {
        const key = presentityKey(a.pkg, a.aor);
        if (this.presentities.get(key) === a) this.presentities.delete(key);
      },
    };
  }

  /** Who hears about committed changes (the admin feed); null = nobody. */
  set observer(o: CoreObserver | null) {
    this.#env.observer = o;
  }

  /**
   * Several nodes share the store: actors read the shared state before their first message,
   * and again when told it changed. Set before the restore.
   */
  share(shared: SharedState): void {
    this.#shared = shared;
    this.#env.shared = shared;
  }

  get shared(): SharedState | undefined {
    return this.#shared;
  }

  servesDomain(host: string): boolean {
    return this.#domains.size === 0 || this.#domains.has(host.toLowerCase());
  }

  /** The actor holding `pkg`'s state of `aor` (presence by default; dialog for BLF). */
  presentity(aor: string, pkg = 'presence'): PresentityActor {
    let a = this.presentities.get(presentityKey(pkg, aor));
    if (a === undefined) {
      // With a shared store every package's state is shared: its publications are kept apart
      // from the other packages' (records.ts pubScope), change hints name this actor's key.
      // The AoR is kept as long as the actor: a flat copy (it usually comes as a concatenation).
      const kept = flat(aor);
      a = new PresentityActor(kept, this.#env, this.packages.rules(pkg));
      this.presentities.set(presentityKey(pkg, kept), a);
      a.load();
    }
    return a;
  }

  /** The actor owning a dialog (its package's state actor). */
  #ownerKey(sub: Sub): string {
    return presentityKey(this.packages.stateOf(sub.event), sub.aor);
  }

  registration(aor: string): RegistrationActor {
    let a = this.registrations.get(aor);
    if (a === undefined) {
      a = new RegistrationActor(aor, this.#env);
      this.registrations.set(aor, a);
      a.load();
    }
    return a;
  }

  /** The presentity owning the dialog our tag names; undefined when there is none. */
  ownerOf(tag: string): PresentityActor | undefined {
    const sub = this.directory.get(tag);
    return sub === undefined ? undefined : this.presentities.get(this.#ownerKey(sub));
  }

  /** Live dialogs held (directory entries and list subscriptions). */
  get subscriptions(): number {
    return this.directory.size + (this.lists?.size ?? 0);
  }

  /** Expiries due: each becomes a message to its actor. */
  tick(now: number): void {
    this.wheel.advance(now, (item) => {
      if (item instanceof Sub) {
        const owner = this.directory.get(item.tag) === item ? this.presentities.get(this.#ownerKey(item)) : this.lists?.ownerOf(item.tag);
        owner?.tell({ t: 'subExpired', sub: item, now });
      } else if (item instanceof Pub) this.presentities.get(presentityKey(item.rec.event ?? 'presence', item.rec.aor))?.tell({ t: 'pubExpired', pub: item, now });
      else if (item instanceof RegistrationActor) item.tell({ t: 'expire', now });
    });
  }

  /** Where a store restore puts what it reads: actors, timers and the directory, no messages. */
  restoreSink(): RestoreSink {
    return {
      bindings: (aor: string, bindings: BindingRecord[]) => {
        const a = this.registration(aor);
        a.bindings = bindings;
        a.schedule();
      },
      publication: (rec: PublicationRecord) => {
        const a = this.presentity(rec.aor, rec.event ?? 'presence');
        const pub = new Pub(rec);
        (a.state.pubs ??= new Map()).set(rec.etag, pub);
        this.wheel.schedule(pub, rec.expiresAt);
      },
      subscription: (rec: SubscriptionRecord) => {
        // Its NOTIFYs went on a connection that died with the process; the client subscribes
        // again when it reconnects (a browser cannot be reached any other way).
        if (isConnectionSource(rec.source)) {
          this.droppedFlowless++;
          return false;
        }
        const a = this.presentity(rec.aor, this.packages.stateOf(rec.event));
        // The Topic keeps entity and local URI once per presentity (topic()); decoded strings are flat.
        rec.source = this.#strings.get(rec.source);
        if (rec.routes.length === 0) rec.routes = NO_ROUTES;
        const sub = new Sub(a.state.topic(rec), rec, 0, rec.cseqReserved);
        a.state.link(sub);
        this.wheel.schedule(sub, sub.expiresAt);
        return true;
      },
      listSubscription: (rec: ListSubscriptionRecord) => {
        this.lists?.restore(rec);
      },
    };
  }

  /**
   * Makes what a new dialog keeps compact (strings.ts): the source shared, the strings cut out
   * of the request (target, remote URI, Call-ID, tag) copied flat. Entity and local URI are kept
   * once per presentity by its Topic, so they are not interned here (a map entry each, for
   * nothing shared).
   */
  intern(rec: SubscriptionRecord): SubscriptionRecord {
    rec.source = this.#strings.get(rec.source);
    rec.tag = flat(rec.tag);
    rec.target = flat(rec.target);
    rec.remoteUri = flat(rec.remoteUri);
    rec.callId = flat(rec.callId);
    rec.remoteTag = flat(rec.remoteTag);
    if (rec.watcherAor !== '') rec.watcherAor = flat(rec.watcherAor);
    if (rec.routes.length === 0) rec.routes = NO_ROUTES;
    else rec.routes = rec.routes.map(flat);
    return rec;
  }
}
