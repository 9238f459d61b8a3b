// Builds the shared store and this node's cluster membership from the config (--store
// redis://…, --cluster, --node-id, --node-ttl); the server calls it only for a Redis store.
import { randomBytes } from 'node:crypto';
import type { ActorSystem } from '../actors/system.js';
import { RedisStore } from '../store/redis-store.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Cluster } from './cluster.js';
import { nodeIdFor } from './node-id.js';

export function openRedisStore(cfg: Readonly<Config>, log: Logger): RedisStore {
  return new RedisStore(cfg.store, {
    cluster: cfg.cluster,
    node: nodeIdFor(cfg.nodeId, cfg.data),
    incarnation: randomBytes(6).toString('hex'),
    leaseMs: cfg.nodeTtl * 1000,
    log: log.child({ c: 'store' }),
  });
}

export function joinCluster(store: RedisStore, sys: ActorSystem, cfg: Readonly<Config>, log: Logger): Cluster {
  return new Cluster(store, sys, log.child({ c: 'cluster', node: store.node }), { leaseMs: cfg.nodeTtl * 1000 });
}
