// The actor registry on the main thread: one presentity actor and one registration actor per
// address of record (made on first use, forgotten when they hold nothing), the directory of
// watcher dialogs (our tag → owning presentity), and the one expiry wheel whose timers reach
// the actors as messages. Also the sink a store restore streams into.
import { Runtime } from './runtime.js';
import { TimerWheel, type Timed } from './timer-wheel.js';
import { PresentityActor, type NotifySink, type PresenceEnv } from './presentity-actor.js';
import { RegistrationActor } from './registration-actor.js';
import { Pub } from './presentity-state.js';
import { Sub } from './subscription.js';
import type { Store } from '../store/store.js';
import type { BindingRecord, PublicationRecord, RestoreSink, SubscriptionRecord } from '../store/records.js';
import type { Logger } from '../log.js';
import type { SharedState } from './shared.js';

/** The dialog's notifier is alive but did not hand it over in time: try again shortly. */
export class DialogBusyError extends Error {}

/** Finds, elsewhere than in this process, the dialog an in-dialog request names (a shared store). */
export interface DialogLocator {
  /** The actor that now owns the dialog here, or undefined when there is no such dialog. */
  locate(tag: string): Promise<PresentityActor | undefined>;
}

export interface SystemConfig {
  notifyTimeout: 'end' | 'keep';
  /** Domains served; empty = any. */
  domain: readonly string[];
}

/** Source addresses and presentity URIs repeat across many dialogs: keep one copy of each. */
class Interner {
  #map = new Map<string, string>();
  get(s: string): string {
    const known = this.#map.get(s);
    if (known !== undefined) return known;
    if (this.#map.size >= 200_000) this.#map = new Map();
    this.#map.set(s, s);
    return s;
  }
}

const NO_ROUTES: string[] = [];

export class ActorSystem {
  readonly runtime: Runtime;
  readonly presentities = new Map<string, PresentityActor>();
  readonly registrations = new Map<string, RegistrationActor>();
  /** Our dialog tag → the dialog (its presentity owns it). */
  readonly directory = new Map<string, Sub>();
  readonly wheel: TimerWheel<Timed>;
  readonly #env: PresenceEnv;
  readonly #domains: ReadonlySet<string>;
  readonly #sameUri: (a: string, b: string) => boolean;
  readonly #strings = new Interner();
  #shared: SharedState | undefined;
  /** Set with a shared store: in-dialog requests for dialogs not held here ask it (takeover). */
  locator: DialogLocator | null = null;

  constructor(store: Store, log: Logger, cfg: SystemConfig, notifier: NotifySink, sameUri: (a: string, b: string) => boolean, now = Date.now()) {
    this.runtime = new Runtime(store, log);
    this.wheel = new TimerWheel<Timed>(1000, now);
    this.#domains = new Set(cfg.domain.map((d) => d.toLowerCase()));
    this.#sameUri = sameUri;
    this.#env = {
      runtime: this.runtime,
      wheel: this.wheel,
      directory: this.directory,
      notifier,
      notifyTimeout: cfg.notifyTimeout,
      release: (a) => {
        if (this.presentities.get(a.aor) === a) this.presentities.delete(a.aor);
      },
    };
  }

  /** Called when a presentity's watcher list changes (operators' views, metrics). */
  set onWatchersChanged(f: ((a: PresentityActor) => void) | undefined) {
    this.#env.watchersChanged = f;
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

  presentity(aor: string): PresentityActor {
    let a = this.presentities.get(aor);
    if (a === undefined) {
      a = new PresentityActor(aor, this.#env);
      this.presentities.set(aor, a);
      a.load();
    }
    return a;
  }

  registration(aor: string): RegistrationActor {
    let a = this.registrations.get(aor);
    if (a === undefined) {
      a = new RegistrationActor(aor, this.runtime, this.wheel, this.#sameUri, (r) => {
        if (this.registrations.get(r.aor) === r) this.registrations.delete(r.aor);
      }, this.#shared);
      this.registrations.set(aor, a);
      a.load();
    }
    return a;
  }

  /** The presentity owning the dialog our tag names; undefined when there is none. */
  ownerOf(tag: string): PresentityActor | undefined {
    const sub = this.directory.get(tag);
    return sub === undefined ? undefined : this.presentities.get(sub.aor);
  }

  /** Live dialogs held (directory entries). */
  get subscriptions(): number {
    return this.directory.size;
  }

  /** Expiries due: each becomes a message to its actor. */
  tick(now: number): void {
    this.wheel.advance(now, (item) => {
      if (item instanceof Sub) this.presentities.get(item.aor)?.tell({ t: 'subExpired', sub: item, now });
      else if (item instanceof Pub) this.presentities.get(item.rec.aor)?.tell({ t: 'pubExpired', pub: item, now });
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
        const a = this.presentity(rec.aor);
        const pub = new Pub(rec);
        (a.state.pubs ??= new Map()).set(rec.etag, pub);
        this.wheel.schedule(pub, rec.expiresAt);
      },
      subscription: (rec: SubscriptionRecord) => {
        const a = this.presentity(rec.aor);
        rec.entity = this.#strings.get(rec.entity);
        rec.localUri = this.#strings.get(rec.localUri);
        rec.source = this.#strings.get(rec.source);
        if (rec.routes.length === 0) rec.routes = NO_ROUTES;
        const sub = new Sub(a.state.topic(rec), rec, 0, rec.cseqReserved);
        a.state.link(sub);
        this.wheel.schedule(sub, sub.expiresAt);
      },
    };
  }

  /** Shares repeated strings of a new dialog's record with the ones already held. */
  intern(rec: SubscriptionRecord): SubscriptionRecord {
    rec.entity = this.#strings.get(rec.entity);
    rec.localUri = this.#strings.get(rec.localUri);
    rec.source = this.#strings.get(rec.source);
    if (rec.routes.length === 0) rec.routes = NO_ROUTES;
    return rec;
  }
}
