// Registration state of one address of record (RFC 3261 §10.3) as an actor: the bindings, one
// expiry timer at the earliest binding's deadline (the actor itself is the wheel entry), and
// pure transitions — the bindings before, the REGISTER's changes, the time → the bindings
// after, or the reason the whole request fails (§10.3 step 7: all or nothing).
import type { BindingRecord, StoreOp } from '../store/records.js';
import type { ReplyTo, ResponseSpec } from '../core/reply.js';
import { line, refuse } from '../core/reply.js';
import { SIP_ERR } from '../errors.js';
import { httpDate } from '../core/http-date.js';
import { Actor, type Batch, type Runtime } from './runtime.js';
import type { TimerWheel, Timed } from './timer-wheel.js';
import { StaleError, StoreUnavailableError } from '../store/store.js';
import { MAX_CONFLICTS, type RegSnapshot, type SharedState } from './shared.js';

export interface BindingChange {
  contact: string; // name-addr text without the expires param
  uri: string;
  expires: number; // granted seconds; 0 = remove
  q: number | null;
  instance: string | null;
}

export type RegisterTransition =
  | { ok: true; bindings: BindingRecord[] }
  | { ok: false; status: number; reason: string };

export function applyRegister(
  before: readonly BindingRecord[],
  changes: readonly BindingChange[],
  callId: string,
  cseq: number,
  now: number,
  sameUri: (a: string, b: string) => boolean,
): RegisterTransition {
  const after = before.filter((b) => b.expiresAt > now).map((b) => ({ ...b }));
  for (const c of changes) {
    const i = after.findIndex((b) => sameUri(b.uri, c.uri));
    if (i >= 0) {
      const old = after[i]!;
      // §10.3 step 7: same Call-ID and a CSeq not higher than the stored one → abort the update.
      if (old.callId === callId && cseq <= old.cseq) return { ok: false, status: 500, reason: SIP_ERR.BINDING_CSEQ.reason };
      if (c.expires === 0) after.splice(i, 1);
      else after[i] = { contact: c.contact, uri: c.uri, expiresAt: now + c.expires * 1000, q: c.q, callId, cseq, instance: c.instance };
    } else if (c.expires > 0) {
      after.push({ contact: c.contact, uri: c.uri, expiresAt: now + c.expires * 1000, q: c.q, callId, cseq, instance: c.instance });
    }
  }
  return { ok: true, bindings: after };
}

/** Drops expired bindings; returns null when nothing changed. */
export function expireBindings(before: readonly BindingRecord[], now: number): BindingRecord[] | null {
  const after = before.filter((b) => b.expiresAt > now);
  return after.length === before.length ? null : after;
}

export type RegMsg =
  /** changes: null = a query (no Contact, §10.2.3); 'all' = `Contact: *` with Expires 0. */
  | { t: 'register'; rt: ReplyTo; now: number; changes: readonly BindingChange[] | 'all' | null; callId: string; cseq: number }
  | { t: 'expire'; now: number }
  // Shared store only: the stored bindings as just read (null: failed), a change elsewhere.
  | { t: 'sync'; snap: RegSnapshot | null }
  | { t: 'remote'; rev: number }
  /** An operator removes bindings: the one whose URI equals `uri`, or all (null). */
  | { t: 'unbind'; uri: string | null; done: (removed: number | Error) => void };

/** The 200 to a REGISTER lists every current binding with its remaining expiry (§10.3 step 8). */
export function registerOk(bindings: readonly BindingRecord[], now: number): ResponseSpec {
  let headers = '';
  for (const b of bindings) headers += line('Contact', `${b.contact};expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`);
  return { status: 200, headers: headers + line('Date', httpDate(now)) };
}

class RegBatch implements Batch {
  readonly ops: StoreOp[] = [];
  readonly replies: [ReplyTo, ResponseSpec][] = [];
  readonly unbound: [(removed: number | Error) => void, number][] = [];
  next: readonly BindingRecord[];
  /** The stored version the batch builds on (shared store; -1: not read). */
  base: number;
  rev?: number;
  reload = false;
  constructor(current: readonly BindingRecord[], base: number) {
    this.next = current;
    this.base = base;
  }
}

const NONE: readonly BindingRecord[] = Object.freeze([]);
const RETRY_MS = 5000;

export interface RegistrationEnv {
  runtime: Runtime;
  wheel: TimerWheel<Timed>;
  sameUri(a: string, b: string): boolean;
  releaseRegistration(a: RegistrationActor): void;
  observer: { registration(aor: string, bindings: number): void } | null;
  /** The shared store's reads (several nodes); absent with the embedded store. */
  shared?: SharedState;
}

export class RegistrationActor extends Actor<RegMsg, RegBatch> implements Timed {
  readonly aor: string;
  /** The committed bindings (an immutable array, replaced on every change). */
  bindings: readonly BindingRecord[] = NONE;
  slot = -1;
  idx = 0;
  readonly #env: RegistrationEnv;
  readonly #shared: SharedState | undefined;
  /** With a shared store: the stored bindings' version this view holds (-1: not read yet). */
  rev = -1;
  #conflicts = 0;

  constructor(aor: string, env: RegistrationEnv) {
    super(env.runtime);
    this.aor = aor;
    this.#env = env;
    this.#shared = env.shared;
  }

  /** Reads the stored bindings before the next message (shared store only). */
  load(): void {
    const shared = this.#shared;
    if (shared === undefined) return;
    this.suspend(shared.loadBindings(this.aor).then(
      (snap): RegMsg => ({ t: 'sync', snap }),
      (): RegMsg => ({ t: 'sync', snap: null }),
    ));
  }

  /** Bindings still live at `now`. */
  live(now: number): readonly BindingRecord[] {
    return this.bindings.filter((b) => b.expiresAt > now);
  }

  protected begin(): RegBatch {
    return new RegBatch(this.bindings, this.rev);
  }

  protected step(b: RegBatch, m: RegMsg): void {
    if (m.t === 'sync') {
      if (m.snap !== null && m.snap.rev > b.base) {
        b.next = m.snap.bindings;
        b.base = m.snap.rev;
      }
      return;
    }
    if (m.t === 'remote') {
      if (m.rev > b.base) b.reload = true;
      return;
    }
    if (this.#shared !== undefined && b.base < 0) {
      // Never decide on bindings that could not be read.
      if (m.t === 'register') b.replies.push([m.rt, refuse(SIP_ERR.STORE_UNAVAILABLE)]);
      else if (m.t === 'unbind') m.done(new Error('the shared store could not be read'));
      b.reload = true;
      return;
    }
    if (m.t === 'unbind') {
      const keep = m.uri === null ? [] : b.next.filter((x) => !this.#env.sameUri(x.uri, m.uri!));
      const removed = b.next.length - keep.length;
      if (removed > 0) this.#set(b, keep);
      b.unbound.push([m.done, removed]);
      return;
    }
    if (m.t === 'expire') {
      const after = expireBindings(b.next, m.now);
      if (after !== null) this.#set(b, after);
      return;
    }
    if (m.changes === null) {
      b.replies.push([m.rt, registerOk(b.next.filter((x) => x.expiresAt > m.now), m.now)]);
      return;
    }
    const r = m.changes === 'all' ? ({ ok: true, bindings: [] } as const) : applyRegister(b.next, m.changes, m.callId, m.cseq, m.now, this.#env.sameUri);
    if (!r.ok) {
      b.replies.push([m.rt, refuse(SIP_ERR.BINDING_CSEQ)]);
      return;
    }
    this.#set(b, r.bindings);
    b.replies.push([m.rt, registerOk(r.bindings, m.now)]);
  }

  #set(b: RegBatch, bindings: readonly BindingRecord[]): void {
    b.next = bindings;
    // One record per AoR: a later change in the same batch replaces the earlier write.
    const op = b.ops.find((o) => o.t === 'putBindings');
    if (op !== undefined && op.t === 'putBindings') op.bindings = bindings;
    else {
      // With a shared store the write holds only if nobody changed the bindings since our read.
      if (this.#shared !== undefined) b.ops.push({ t: 'check', kind: 'reg', aor: this.aor, rev: b.base });
      b.ops.push({ t: 'putBindings', aor: this.aor, bindings });
    }
  }

  protected commit(b: RegBatch): void {
    this.#conflicts = 0;
    const changed = this.bindings !== b.next;
    this.bindings = b.next;
    this.rev = b.ops.length > 0 && b.rev !== undefined ? b.rev : b.base;
    this.schedule();
    for (const [rt, spec] of b.replies) rt.reply(spec);
    for (const [done, n] of b.unbound) done(n);
    if (changed) this.#env.observer?.registration(this.aor, this.bindings.length);
    if (b.reload) this.load();
  }

  protected rollback(b: RegBatch, msgs: readonly RegMsg[], err: Error): void {
    if (err instanceof StaleError && this.#shared !== undefined && this.#conflicts++ < MAX_CONFLICTS) {
      // Another node changed the bindings first: read them again and run the same requests.
      this.requeue(msgs.filter((m) => m.t !== 'sync' && m.t !== 'remote'));
      this.load();
      return;
    }
    this.#conflicts = 0;
    this.runtime.log.error({ aor: this.aor, err: err.message }, 'registration commit failed; bindings kept as committed');
    const refusal = err instanceof StoreUnavailableError ? SIP_ERR.STORE_UNAVAILABLE : SIP_ERR.STORE_FAILED;
    for (const m of msgs) {
      if (m.t === 'register') m.rt.reply(refuse(refusal));
      else if (m.t === 'unbind') m.done(err);
    }
    if (err instanceof StoreUnavailableError) this.load();
    if (msgs.some((m) => m.t === 'expire')) this.#env.wheel.schedule(this, Date.now() + RETRY_MS);
    void b;
  }

  /** One wheel entry per AoR, at the earliest binding expiry. */
  schedule(): void {
    if (this.bindings.length === 0) {
      this.#env.wheel.cancel(this);
      return;
    }
    let at = Infinity;
    for (const x of this.bindings) at = Math.min(at, x.expiresAt);
    this.#env.wheel.schedule(this, at);
  }

  protected get idle(): boolean {
    return this.bindings.length === 0;
  }

  protected passivate(): void {
    this.#env.wheel.cancel(this);
    this.#env.releaseRegistration(this);
  }
}
