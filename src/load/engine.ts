// The open-loop pacer of one shard: starts new calls at a fixed rate whatever the server's
// speed (an overloaded server shows up as latency and failures, not as a slower offer),
// drives the agent's timers, then drains in-flight calls within a bound.
import { Agent, type AgentOptions } from './agent.js';
import { SCENARIO_TABLE, type ScenarioName, type ScenarioOptions } from './scenarios.js';
import type { StatsSnapshot } from './stats.js';
import type { TimerConfig } from './uac-transaction.js';

export interface ShardOptions {
  scenario: ScenarioName;
  targetHost: string;
  targetPort: number;
  /** UDP sockets of this shard. */
  sockets: number;
  /** New calls per second for this shard. */
  rate: number;
  /** Calls to start (bounded run); Infinity means "until durationMs". */
  count: number;
  durationMs: number;
  /** Longest wait for in-flight calls after the last start. */
  drainMs: number;
  idPrefix: string;
  notifyTimeoutMs: number;
  watchers: number;
  expires: number;
  timers?: TimerConfig;
}

export interface ShardResult {
  stats: StatsSnapshot;
  /** ms from the first call start to the last call end (or the drain bound). */
  wallMs: number;
  /** ms during which calls were being started. */
  offerMs: number;
  /** Longest delay of a call start behind its schedule (the generator falling behind its offer). */
  maxStartLagMs: number;
  sendErrors: number;
}

export interface Progress {
  started: number;
  ok: number;
  failed: number;
  requests: number;
  retransmissions: number;
  inFlightCalls: number;
}

/**
 * Tick period: 1 ms keeps a high offer smooth, a slow one ticks once per call (at most every
 * 10 ms, as while draining): a tick costs a timer and an event-loop turn whatever it does.
 * Bursts are capped at 50 ms worth of calls. Each tick runs from setImmediate, i.e. right after
 * the event loop has read the sockets, so a response already received is matched before timer
 * E could retransmit its request; while a socket may still hold unread answers (libuv reads 32
 * per turn), the tick waits a turn, up to MAX_READ_TURNS, so that the generator's own lateness
 * does not show up as retransmissions.
 */
const MIN_TICK_MS = 1;
const MAX_TICK_MS = 10;
const MAX_BURST_SECONDS = 0.05;
const MAX_READ_TURNS = 64;

export async function runShard(o: ShardOptions, onProgress?: (p: Progress) => void): Promise<ShardResult> {
  const agentOpts: AgentOptions = {
    targetHost: o.targetHost, targetPort: o.targetPort, sockets: o.sockets, idPrefix: o.idPrefix, notifyTimeoutMs: o.notifyTimeoutMs,
  };
  if (o.timers !== undefined) agentOpts.timers = o.timers;
  const agent = await Agent.open(agentOpts);
  const scenario = SCENARIO_TABLE[o.scenario];
  const sopts: ScenarioOptions = { watchers: o.watchers, expires: o.expires };
  const stats = agent.stats;
  let inFlightCalls = 0;
  let lastEnd = 0;

  // Two shared handlers rather than closures per call.
  const ended = (fail: string | null): void => {
    if (fail === null) stats.callsOk++;
    else stats.recordFailure(fail);
    inFlightCalls--;
    lastEnd = agent.now();
  };
  const crashed = (err: unknown): void => ended(`exception ${(err as Error)?.message ?? String(err)}`);
  const launch = (n: number): void => {
    stats.callsStarted++;
    inFlightCalls++;
    scenario(agent, n, sopts).then(ended, crashed);
  };

  const start = agent.now();
  const maxBurst = Math.max(1, Math.ceil(o.rate * MAX_BURST_SECONDS));
  let started = 0;
  let offerEnd = 0;
  let drainDeadline = 0;
  let lastProgress = start;
  let maxStartLagMs = 0;
  let readTurns = 0;
  const offerTickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, 1000 / o.rate));

  await new Promise<void>((resolve) => {
    const afterIo = (): void => {
      setImmediate(loop);
    };
    const loop = (): void => {
      if (readTurns < MAX_READ_TURNS && agent.mayHaveBacklog()) {
        readTurns++;
        setImmediate(loop);
        return;
      }
      readTurns = 0;
      const now = agent.now();
      const elapsed = now - start;
      if (offerEnd === 0) {
        const due = Math.min(o.count, Math.floor((o.rate * elapsed) / 1000) + 1);
        const first = started;
        let burst = 0;
        while (started < due && burst < maxBurst) {
          launch(started++);
          burst++;
        }
        // How late the first call of this burst started against its schedule (call k is due at k / rate).
        const lag = elapsed - (first * 1000) / o.rate;
        if (burst > 0 && lag > maxStartLagMs) maxStartLagMs = lag;
        if (started >= o.count || elapsed >= o.durationMs) {
          offerEnd = now;
          drainDeadline = now + o.drainMs;
        }
      }
      agent.tick(now);
      if (onProgress !== undefined && now - lastProgress >= 1000) {
        lastProgress = now;
        onProgress({
          started: stats.callsStarted, ok: stats.callsOk, failed: stats.callsFailed, requests: stats.requests,
          retransmissions: stats.retransmissions, inFlightCalls,
        });
      }
      if (offerEnd !== 0 && (inFlightCalls === 0 || now >= drainDeadline)) {
        resolve();
        return;
      }
      setTimeout(afterIo, offerEnd === 0 ? offerTickMs : MAX_TICK_MS);
    };
    loop();
  });

  if (inFlightCalls > 0) {
    // Drain bound hit: resolve what is left as timeouts so every call is accounted for.
    agent.abortAll();
    for (let i = 0; i < 100 && inFlightCalls > 0; i++) await new Promise((r) => setImmediate(r));
    lastEnd = agent.now();
  }
  const result: ShardResult = {
    stats: stats.snapshot(),
    wallMs: Math.max(lastEnd, offerEnd) - start,
    offerMs: offerEnd - start,
    maxStartLagMs,
    sendErrors: agent.sendErrors,
  };
  await agent.close();
  return result;
}
