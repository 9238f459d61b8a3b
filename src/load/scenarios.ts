// Scenario definitions: one "call" is one user's short story. A scenario returns null on
// success or a failure reason (errors are data: the reason string is what gets counted).
// Every wait is bounded: transactions by timer F, NOTIFY waits by notifyTimeoutMs.
// Written as async functions for readability: measured, a call's promises cost ~0.35 µs,
// against ~15 µs of socket work per request (bench/README.md, "Built-in generator").
import type { Agent } from './agent.js';
import { WANT_ACTIVE, WANT_MARKER, WANT_TERMINATED, type Dialog } from './dialog.js';
import { markerOf, type Role } from './requests.js';

export const SCENARIOS = ['register', 'publish', 'subscribe', 'fanout', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  /** Watchers per presentity (fanout). */
  watchers: number;
  /** Expires asked for in REGISTER / PUBLISH / SUBSCRIBE. */
  expires: number;
}

export type Scenario = (agent: Agent, n: number, o: ScenarioOptions) => Promise<string | null>;

interface Watch {
  n: number;
  idx: number;
  watcher: Role;
  presentity: Role;
}

async function register(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const sock = agent.sockOf(n);
  const status = await agent.register(sock, agent.templates(sock).register('r', o.expires), n);
  return status === 200 ? null : `REGISTER ${status}`;
}

/** Initial PUBLISH (RFC 3903 §4.1) then a modify with SIP-If-Match (§4.4); returns the newest ETag, or '!reason'. */
async function publishPair(agent: Agent, role: Role, n: number, o: ScenarioOptions): Promise<string> {
  const sock = agent.sockOf(n);
  const t = agent.templates(sock);
  const first = await agent.publish(sock, t.publish(role, o.expires, false, 'open'), n, '');
  if (first.status !== 200) return `!PUBLISH ${first.status}`;
  if (first.etag === '') return '!PUBLISH without SIP-ETag';
  const second = await agent.publish(sock, t.publish(role, o.expires, true, 'closed'), n, first.etag);
  if (second.status !== 200) return `!PUBLISH modify ${second.status}`;
  if (second.etag === '') return '!PUBLISH modify without SIP-ETag';
  return second.etag;
}

async function publish(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const etag = await publishPair(agent, 'p', n, o);
  return etag.startsWith('!') ? etag.slice(1) : null;
}

/** SUBSCRIBE → 200 + NOTIFY (either order); the caller then ends it with endSubscription. */
async function startSubscription(agent: Agent, w: Watch, o: ScenarioOptions, want: number, marker: Buffer | null): Promise<{ d: Dialog | null; fail: string | null }> {
  const sock = agent.sockOf(w.n);
  const { status, dialog } = await agent.subscribe(sock, agent.templates(sock).subscribe(w.watcher, w.presentity, o.expires), w);
  if (dialog === null || (status !== 200 && status !== 202)) return { d: dialog, fail: `SUBSCRIBE ${status}` };
  if (dialog.toTag === '') return { d: dialog, fail: 'SUBSCRIBE 2xx without To-tag' };
  const first = await agent.waitNotify(dialog, want, marker);
  return { d: dialog, fail: first ? null : 'NOTIFY missing (initial)' };
}

/** In-dialog SUBSCRIBE Expires 0 → 200 + NOTIFY terminated (RFC 6665 §4.1.2.3, §4.2.2). */
async function endSubscription(agent: Agent, d: Dialog): Promise<string | null> {
  const status = await agent.resubscribe(d, 0);
  if (status !== 200 && status !== 202) {
    agent.release(d);
    return `unSUBSCRIBE ${status}`;
  }
  const last = d.terminated || (await agent.waitNotify(d, WANT_TERMINATED));
  agent.release(d);
  return last ? null : 'NOTIFY missing (terminated)';
}

function abandon(agent: Agent, d: Dialog | null, fail: string): string {
  if (d !== null) agent.release(d);
  return fail;
}

async function subscribe(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const { d, fail } = await startSubscription(agent, { n, idx: 0, watcher: 'w', presentity: 's' }, o, WANT_ACTIVE, null);
  if (fail !== null || d === null) return abandon(agent, d, fail ?? 'SUBSCRIBE');
  return endSubscription(agent, d);
}

/** Every dialog receives a NOTIFY carrying `marker`; false when one does not in time. */
async function allSee(agent: Agent, dialogs: Dialog[], marker: Buffer): Promise<boolean> {
  const seen = await Promise.all(dialogs.map((d) => agent.waitNotify(d, WANT_MARKER, marker)));
  return !seen.includes(false);
}

/** K watchers on one presentity; each state change must reach every watcher. */
async function fanout(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const subs = await Promise.all(
    Array.from({ length: o.watchers }, (_, idx) => startSubscription(agent, { n, idx, watcher: 'fw', presentity: 'f' }, o, WANT_ACTIVE, null)),
  );
  const dialogs = subs.flatMap((s) => (s.d === null ? [] : [s.d]));
  let fail = subs.find((s) => s.fail !== null)?.fail ?? null;
  if (fail === null) fail = await publishToAll(agent, n, o, dialogs);
  const ends = await Promise.all(dialogs.map((d) => (d.toTag === '' ? (agent.release(d), Promise.resolve(null)) : endSubscription(agent, d))));
  return fail ?? ends.find((e) => e !== null) ?? null;
}

/** Fan-out's publisher: publish, modify (each seen by every watcher), remove. */
async function publishToAll(agent: Agent, n: number, o: ScenarioOptions, dialogs: Dialog[]): Promise<string | null> {
  const sock = agent.sockOf(n);
  const t = agent.templates(sock);
  const first = await agent.publish(sock, t.publish('f', o.expires, false, 'open'), n, '');
  if (first.status !== 200 || first.etag === '') return `PUBLISH ${first.status}`;
  if (!(await allSee(agent, dialogs, markerOf('a', agent.idPrefix, n)))) return 'NOTIFY missing (publish)';
  const second = await agent.publish(sock, t.publish('f', o.expires, true, 'closed'), n, first.etag);
  if (second.status !== 200) return `PUBLISH modify ${second.status}`;
  if (!(await allSee(agent, dialogs, markerOf('b', agent.idPrefix, n)))) return 'NOTIFY missing (modify)';
  if (second.etag === '') return null;
  const rm = await agent.publish(sock, t.publish('f', 0, true, null), n, second.etag);
  return rm.status === 200 ? null : `PUBLISH remove ${rm.status}`;
}

/** A day in the life: register, publish, watch (own presence), modify, unwatch, unpublish, unregister. */
async function mixed(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const sock = agent.sockOf(n);
  const t = agent.templates(sock);
  const reg = await agent.register(sock, t.register('m', o.expires), n);
  if (reg !== 200) return `REGISTER ${reg}`;
  const first = await agent.publish(sock, t.publish('m', o.expires, false, 'open'), n, '');
  if (first.status !== 200 || first.etag === '') return `PUBLISH ${first.status}`;
  const { d, fail } = await startSubscription(agent, { n, idx: 0, watcher: 'm', presentity: 'm' }, o, WANT_MARKER, markerOf('a', agent.idPrefix, n));
  if (fail !== null || d === null) return abandon(agent, d, fail ?? 'SUBSCRIBE');
  const second = await agent.publish(sock, t.publish('m', o.expires, true, 'closed'), n, first.etag);
  if (second.status !== 200) return abandon(agent, d, `PUBLISH modify ${second.status}`);
  if (!(await agent.waitNotify(d, WANT_MARKER, markerOf('b', agent.idPrefix, n)))) return abandon(agent, d, 'NOTIFY missing (modify)');
  const end = await endSubscription(agent, d);
  if (end !== null) return end;
  const rm = await agent.publish(sock, t.publish('m', 0, true, null), n, second.etag);
  if (rm.status !== 200) return `PUBLISH remove ${rm.status}`;
  const unreg = await agent.register(sock, t.register('m', 0), n);
  return unreg === 200 ? null : `unREGISTER ${unreg}`;
}

export const SCENARIO_TABLE: Readonly<Record<ScenarioName, Scenario>> = Object.freeze({
  register, publish, subscribe, fanout, mixed,
});

/** Requests a successful call sends (for sizing and the ≥ N requests/s target). */
export function requestsPerCall(name: ScenarioName, watchers: number): number {
  switch (name) {
    case 'register': return 1;
    case 'publish': return 2;
    case 'subscribe': return 2;
    case 'fanout': return 2 * watchers + 3;
    case 'mixed': return 7;
  }
}
