// Opens the store a server keeps its state in: the local fdb files (the default), or with
// --store redis://… the shared Redis store and this node's cluster membership. The Redis client
// and the cluster code are loaded only for a Redis store: they are a good part of the modules
// a start would otherwise compile before it can answer (bench/RESULTS.md, "Startup time").
import type { ActorSystem } from './actors/system.js';
import type { Cluster } from './cluster/cluster.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { metrics } from './metrics/metrics.js';
import { FdbStore } from './store/fdb-store.js';
import type { Store } from './store/store.js';

export interface OpenedStore {
  store: Store;
  /** Joins the group sharing the store, once the actor system exists; null for a local store. */
  join: ((sys: ActorSystem) => Cluster) | null;
}

/** The local fdb store under --data, its commit latency fed to the metrics. */
export function openLocalStore(cfg: Readonly<Config>): OpenedStore {
  const fdb = FdbStore.open(cfg.data, { sync: cfg.durability === 'fsync' });
  fdb.onCommit = (ms) => metrics.commit(ms);
  return { store: fdb, join: null };
}

/** The store the configuration names; the Redis modules are imported only when it is Redis. */
export async function openStore(cfg: Readonly<Config>, log: Logger): Promise<OpenedStore> {
  if (cfg.store === 'fdb') return openLocalStore(cfg);
  const { openRedisStore, joinCluster } = await import('./cluster/setup.js');
  const redis = openRedisStore(cfg, log);
  return { store: redis, join: (sys) => joinCluster(redis, sys, cfg, log) };
}
