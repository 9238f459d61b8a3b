// worker_threads entry of one generator shard (`--workers T`): runs the shard it was given
// and reports progress and the final plain-data result to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { runShard, type ShardOptions } from './engine.js';

const port = parentPort;
if (port !== null) {
  const opts = workerData as ShardOptions;
  runShard(opts, (p) => port.postMessage({ t: 'progress', p })).then(
    (result) => port.postMessage({ t: 'done', result }),
    (err: unknown) => port.postMessage({ t: 'error', message: (err as Error)?.message ?? String(err) }),
  );
}
