// Scenario definitions: one "call" is one user's short story. A scenario returns null on
// success or a failure reason (errors are data: the reason string is what gets counted).
// Every wait is bounded: transactions by timer F, NOTIFY waits by notifyTimeoutMs.
import type { Agent } from './agent.js';
import type { Dialog } from './dialog.js';
import { aor, pidfBody } from './messages.js';
import type { ScannedMessage } from './sip-scan.js';

export const SCENARIOS = ['register', 'publish', 'subscribe', 'fanout', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  /** Watchers per presentity (fanout). */
  watchers: number;
  /** Expires asked for in REGISTER / PUBLISH / SUBSCRIBE. */
  expires: number;
}

export type Scenario = (agent: Agent, n: number, o: ScenarioOptions) => Promise<string | null>;

const isActive = (m: ScannedMessage): boolean => !m.subState.startsWith('terminated');
const isTerminated = (m: ScannedMessage): boolean => m.subState.startsWith('terminated');
const carries = (marker: string) => (m: ScannedMessage): boolean => m.body.includes(marker);

function userOf(agent: Agent, n: number, role: string): string {
  return `${role}${agent.idPrefix}${n.toString(36)}`;
}

async function register(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const r = await agent.register(userOf(agent, n, 'r'), o.expires);
  return r.status === 200 ? null : `REGISTER ${r.status}`;
}

/** Initial PUBLISH (RFC 3903 §4.1) then a modify with SIP-If-Match (§4.4); returns the newest ETag. */
async function publishPair(agent: Agent, user: string, o: ScenarioOptions, marks: [string, string]): Promise<string> {
  const entity = aor(user, agent.ep);
  const first = await agent.publish({ user, expires: o.expires, ifMatch: '', body: pidfBody(entity, 'open', marks[0], 't1') });
  if (first.status !== 200) return `!PUBLISH ${first.status}`;
  if (first.msg === null || first.msg.etag === '') return '!PUBLISH without SIP-ETag';
  const second = await agent.publish({
    user, expires: o.expires, ifMatch: first.msg.etag, body: pidfBody(entity, 'closed', marks[1], 't1'),
  });
  if (second.status !== 200) return `!PUBLISH modify ${second.status}`;
  if (second.msg === null || second.msg.etag === '') return '!PUBLISH modify without SIP-ETag';
  return second.msg.etag;
}

async function publish(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const id = agent.nextId();
  const etag = await publishPair(agent, userOf(agent, n, 'p'), o, [`a${id}`, `b${id}`]);
  return etag.startsWith('!') ? etag.slice(1) : null;
}

/** SUBSCRIBE → 200 + NOTIFY (either order), the caller then ends it with endSubscription. */
async function startSubscription(agent: Agent, watcher: string, presentity: string, o: ScenarioOptions, want: (m: ScannedMessage) => boolean): Promise<{ d: Dialog; fail: string | null }> {
  const { res, dialog } = await agent.subscribe(watcher, presentity, o.expires);
  if (res.status !== 200 && res.status !== 202) return { d: dialog, fail: `SUBSCRIBE ${res.status}` };
  if (dialog.toTag === '') return { d: dialog, fail: 'SUBSCRIBE 2xx without To-tag' };
  const first = await agent.waitNotify(dialog, want);
  return { d: dialog, fail: first === null ? 'NOTIFY missing (initial)' : null };
}

/** In-dialog SUBSCRIBE Expires 0 → 200 + NOTIFY terminated (RFC 6665 §4.1.2.3, §4.2.2). */
async function endSubscription(agent: Agent, d: Dialog): Promise<string | null> {
  const r = await agent.resubscribe(d, 0);
  if (r.status !== 200 && r.status !== 202) {
    agent.release(d);
    return `unSUBSCRIBE ${r.status}`;
  }
  const last = d.terminated ? true : (await agent.waitNotify(d, isTerminated)) !== null;
  agent.release(d);
  return last ? null : 'NOTIFY missing (terminated)';
}

async function subscribe(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const { d, fail } = await startSubscription(agent, userOf(agent, n, 'w'), userOf(agent, n, 's'), o, isActive);
  if (fail !== null) {
    agent.release(d);
    return fail;
  }
  return endSubscription(agent, d);
}

/** K watchers on one presentity; each state change must reach every watcher. */
async function fanout(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const presentity = userOf(agent, n, 'f');
  const subs = await Promise.all(
    Array.from({ length: o.watchers }, (_, i) => startSubscription(agent, `${presentity}w${i}`, presentity, o, isActive)),
  );
  const dialogs = subs.map((s) => s.d);
  const failed = subs.find((s) => s.fail !== null);
  let fail: string | null = failed === undefined ? null : failed.fail;
  if (fail === null) {
    const id = agent.nextId();
    const marks: [string, string] = [`a${id}`, `b${id}`];
    const entity = aor(presentity, agent.ep);
    const first = await agent.publish({ user: presentity, expires: o.expires, ifMatch: '', body: pidfBody(entity, 'open', marks[0], 't1') });
    if (first.status !== 200 || first.msg === null || first.msg.etag === '') fail = `PUBLISH ${first.status}`;
    else {
      const seen = await Promise.all(dialogs.map((d) => agent.waitNotify(d, carries(marks[0]))));
      if (seen.includes(null)) fail = 'NOTIFY missing (publish)';
      else {
        const second = await agent.publish({
          user: presentity, expires: o.expires, ifMatch: first.msg.etag, body: pidfBody(entity, 'closed', marks[1], 't1'),
        });
        if (second.status !== 200) fail = `PUBLISH modify ${second.status}`;
        else {
          const seen2 = await Promise.all(dialogs.map((d) => agent.waitNotify(d, carries(marks[1]))));
          if (seen2.includes(null)) fail = 'NOTIFY missing (modify)';
          else if (second.msg !== null && second.msg.etag !== '') {
            const rm = await agent.publish({ user: presentity, expires: 0, ifMatch: second.msg.etag, body: '' });
            if (rm.status !== 200) fail = `PUBLISH remove ${rm.status}`;
          }
        }
      }
    }
  }
  const ends = await Promise.all(dialogs.map((d) => (d.toTag === '' ? (agent.release(d), Promise.resolve(null)) : endSubscription(agent, d))));
  return fail ?? ends.find((e) => e !== null) ?? null;
}

/** A day in the life: register, publish, watch (own presence), modify, unwatch, unpublish, unregister. */
async function mixed(agent: Agent, n: number, o: ScenarioOptions): Promise<string | null> {
  const user = userOf(agent, n, 'm');
  const reg = await agent.register(user, o.expires);
  if (reg.status !== 200) return `REGISTER ${reg.status}`;
  const id = agent.nextId();
  const entity = aor(user, agent.ep);
  const first = await agent.publish({ user, expires: o.expires, ifMatch: '', body: pidfBody(entity, 'open', `a${id}`, 't1') });
  if (first.status !== 200 || first.msg === null || first.msg.etag === '') return `PUBLISH ${first.status}`;
  const { d, fail } = await startSubscription(agent, user, user, o, carries(`a${id}`));
  if (fail !== null) {
    agent.release(d);
    return fail;
  }
  const second = await agent.publish({ user, expires: o.expires, ifMatch: first.msg.etag, body: pidfBody(entity, 'closed', `b${id}`, 't1') });
  if (second.status !== 200 || second.msg === null) {
    agent.release(d);
    return `PUBLISH modify ${second.status}`;
  }
  if ((await agent.waitNotify(d, carries(`b${id}`))) === null) {
    agent.release(d);
    return 'NOTIFY missing (modify)';
  }
  const end = await endSubscription(agent, d);
  if (end !== null) return end;
  const rm = await agent.publish({ user, expires: 0, ifMatch: second.msg.etag, body: '' });
  if (rm.status !== 200) return `PUBLISH remove ${rm.status}`;
  const unreg = await agent.register(user, 0);
  return unreg.status === 200 ? null : `unREGISTER ${unreg.status}`;
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
