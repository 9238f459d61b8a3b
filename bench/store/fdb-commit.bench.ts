// Group commit of the fdb store: many operations submitted in one turn share one durable LMDB
// transaction (and one callback loop), versus one commit per operation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FdbStore } from '../../src/store/fdb-store.js';
import type { BindingRecord } from '../../src/store/records.js';
import { printRate, isMain } from '../support/report.js';

const binding = (i: number): BindingRecord[] => [{ contact: `<sip:u${i}@127.0.0.1:5070>`, uri: `sip:u${i}@127.0.0.1:5070`, expiresAt: Date.now() + 3600_000, q: null, callId: `c${i}`, cseq: 1, instance: null }];

export async function run(): Promise<void> {
  console.log(`# fdb-commit (node ${process.version})`);
  const dir = mkdtempSync(join(tmpdir(), 'fdb-bench-'));
  const store = FdbStore.open(dir);
  try {
    for (const group of [1, 100, 1000, 10000]) {
      const total = group === 1 ? 500 : 50_000;
      const t0 = performance.now();
      const latencies: number[] = [];
      for (let done = 0; done < total; done += group) {
        const s = performance.now();
        await new Promise<void>((resolve, reject) => {
          let left = group;
          for (let i = 0; i < group; i++) {
            store.submit([{ t: 'putBindings', aor: `sip:u${done + i}@bench`, bindings: binding(done + i) }], (e) => (e ? reject(e) : --left === 0 && resolve()));
          }
          store.flush();
        });
        latencies.push(performance.now() - s);
      }
      printRate(`durable puts, ${group} per commit`, total, performance.now() - t0, 'puts', latencies);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
