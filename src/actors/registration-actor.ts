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
  constructor(current: readonly BindingRecord[]) {
    this.next = current;
  }
}

const NONE: readonly BindingRecord[] = Object.freeze([]);

export interface RegistrationEnv {
  runtime: Runtime;
  wheel: TimerWheel<Timed>;
  sameUri(a: string, b: string): boolean;
  releaseRegistration(a: RegistrationActor): void;
  observer: { registration(aor: string, bindings: number): void } | null;
}
const RETRY_MS = 5000;

export class RegistrationActor extends Actor<RegMsg, RegBatch> implements Timed {
  readonly aor: string;
  /** The committed bindings (an immutable array, replaced on every change). */
  bindings: readonly BindingRecord[] = NONE;
  slot = -1;
  idx = 0;
  readonly #env: RegistrationEnv;

  constructor(aor: string, env: RegistrationEnv) {
    super(env.runtime);
    this.aor = aor;
    this.#env = env;
  }

  /** Bindings still live at `now`. */
  live(now: number): readonly BindingRecord[] {
    return this.bindings.filter((b) => b.expiresAt > now);
  }

  protected begin(): RegBatch {
    return new RegBatch(this.bindings);
  }

  protected step(b: RegBatch, m: RegMsg): void {
    if (m.t === 'expire') {
      const after = expireBindings(b.next, m.now);
      if (after !== null) this.#set(b, after);
      return;
    }
    if (m.t === 'unbind') {
      const keep = m.uri === null ? [] : b.next.filter((x) => !this.#env.sameUri(x.uri, m.uri!));
      const removed = b.next.length - keep.length;
      if (removed > 0) this.#set(b, keep);
      b.unbound.push([m.done, removed]);
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
    else b.ops.push({ t: 'putBindings', aor: this.aor, bindings });
  }

  protected commit(b: RegBatch): void {
    const changed = this.bindings !== b.next;
    this.bindings = b.next;
    this.schedule();
    for (const [rt, spec] of b.replies) rt.reply(spec);
    for (const [done, n] of b.unbound) done(n);
    if (changed) this.#env.observer?.registration(this.aor, this.bindings.length);
  }

  protected rollback(b: RegBatch, msgs: readonly RegMsg[], err: Error): void {
    this.runtime.log.error({ aor: this.aor, err: err.message }, 'registration commit failed; bindings kept as committed');
    for (const m of msgs) {
      if (m.t === 'register') m.rt.reply(refuse(SIP_ERR.STORE_FAILED));
      else if (m.t === 'unbind') m.done(err);
    }
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
