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

/** Tick period: 1 ms keeps the offer smooth; bursts are capped at 50 ms worth of calls. */
const TICK_MS = 1;
const MAX_BURST_SECONDS = 0.05;

export async function runShard(o: ShardOptions, onProgress?: (p: Progress) => void): Promise<ShardResult> {
  const agentOpts: AgentOptions = {
    targetHost: o.targetHost, targetPort: o.targetPort, idPrefix: o.idPrefix, notifyTimeoutMs: o.notifyTimeoutMs,
  };
  if (o.timers !== undefined) agentOpts.timers = o.timers;
  const agent = await Agent.open(agentOpts);
  const scenario = SCENARIO_TABLE[o.scenario];
  const sopts: ScenarioOptions = { watchers: o.watchers, expires: o.expires };
  const stats = agent.stats;
  let inFlightCalls = 0;
  let lastEnd = 0;

  const launch = (n: number): void => {
    stats.callsStarted++;
    inFlightCalls++;
    scenario(agent, n, sopts).then(
      (fail) => {
        if (fail === null) stats.callsOk++;
        else stats.recordFailure(fail);
      },
      (err: unknown) => stats.recordFailure(`exception ${(err as Error)?.message ?? String(err)}`),
    ).finally(() => {
      inFlightCalls--;
      lastEnd = agent.now();
    });
  };

  const start = agent.now();
  const maxBurst = Math.max(1, Math.ceil(o.rate * MAX_BURST_SECONDS));
  let started = 0;
  let offerEnd = 0;
  let drainDeadline = 0;
  let lastProgress = start;

  await new Promise<void>((resolve) => {
    const loop = (): void => {
      const now = agent.now();
      const elapsed = now - start;
      if (offerEnd === 0) {
        const due = Math.min(o.count, Math.floor((o.rate * elapsed) / 1000) + 1);
        let burst = 0;
        while (started < due && burst < maxBurst) {
          launch(started++);
          burst++;
        }
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
      setTimeout(loop, TICK_MS);
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
    sendErrors: agent.sendErrors,
  };
  await agent.close();
  return result;
}
