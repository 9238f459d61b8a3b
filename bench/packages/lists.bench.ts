// Resource lists at scale (RFC 4662), in process: L list subscriptions of M members each, the
// members drawn from P presentities so that every presentity is in L·M/P lists. Measures the
// full-state NOTIFYs of all lists, then what one state change of every presentity costs: list
// NOTIFYs/s, member updates carried per second, and main-thread CPU per member update.
// LISTS=1000 MEMBERS=100 PRESENTITIES=1000 node dist/bench/packages/lists.bench.js
import { performance } from 'node:perf_hooks';
import { count, request, startHarness, until } from './inproc.js';
import { isMain } from '../support/report.js';

const RESOURCE = Buffer.from('<resource ');

export async function run(): Promise<void> {
  const L = Number(process.env.LISTS ?? 1000);
  const M = Number(process.env.MEMBERS ?? 100);
  const P = Number(process.env.PRESENTITIES ?? Math.max(L, M));
  const lists: Record<string, { entries: string[] }> = {};
  for (let i = 0; i < L; i++) lists[`sip:list${i}@127.0.0.1`] = { entries: Array.from({ length: M }, (_, k) => `sip:p${(i * M + k) % P}@127.0.0.1`) };
  const h = await startHarness(['--list-batch-ms', process.env.BATCH_MS ?? '300', '--durability', 'os'], { lists });
  console.log(`# lists (node ${process.version}; in process, NOTIFYs answered at once, durability os): ${L} lists × ${M} members of ${P} presentities (each in ${Math.round((L * M) / P)} lists)`);
  try {
    let notifies = 0;
    let resources = 0;
    let bytes = 0;
    let full = 0;
    h.onNotify = (_head, body) => {
      notifies++;
      bytes += body.length;
      resources += count(body, RESOURCE);
      if (body.includes('fullState="true"')) full++;
    };
    const subs = Array.from({ length: L }, (_, i) => request([
      `SUBSCRIBE sip:list${i}@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKls${i}`, 'Max-Forwards: 70',
      `From: <sip:w${i}@127.0.0.1>;tag=w${i}`, `To: <sip:list${i}@127.0.0.1>`, `Call-ID: ls${i}@bench`, 'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:w@127.0.0.1:5999>', 'Event: presence', 'Supported: eventlist', 'Expires: 3600',
    ]));
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    await h.inject(subs);
    const allFull = await until(() => resources >= L * M, 120_000);
    let ms = performance.now() - t0;
    let cpu = process.cpuUsage(cpu0);
    console.log(`full state   ${allFull ? '' : '(INCOMPLETE) '}${L} lists: ${notifies} NOTIFYs (${full} fullState) in ${(ms / 1000).toFixed(2)} s = ${Math.round((notifies * 1000) / ms)} NOTIFY/s, ${Math.round((resources * 1000) / ms)} members/s, ${(bytes / notifies / 1024).toFixed(1)} KiB/NOTIFY, ${((cpu.user + cpu.system) / resources).toFixed(1)} µs CPU/member`);

    notifies = resources = bytes = 0;
    const pubs = Array.from({ length: P }, (_, i) => request([
      `PUBLISH sip:p${i}@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKlp${i}`, 'Max-Forwards: 70',
      `From: <sip:p${i}@127.0.0.1>;tag=p${i}`, `To: <sip:p${i}@127.0.0.1>`, `Call-ID: lp${i}@bench`, 'CSeq: 1 PUBLISH',
      'Event: presence', 'Expires: 3600', 'Content-Type: application/pidf+xml',
    ], `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:p${i}@127.0.0.1"><tuple id="t"><status><basic>open</basic></status><note>changed ${i}</note></tuple></presence>`));
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    await h.inject(pubs);
    const injected = performance.now() - t0;
    const all = await until(() => resources >= L * M, 120_000);
    ms = performance.now() - t0;
    cpu = process.cpuUsage(cpu0);
    console.log(`changes      ${P} PUBLISHes (injected in ${(injected / 1000).toFixed(2)} s) → ${all ? '' : '(INCOMPLETE) '}${resources} member updates in ${notifies} list NOTIFYs, ${(ms / 1000).toFixed(2)} s: ${Math.round((notifies * 1000) / ms)} NOTIFY/s, ${Math.round((resources * 1000) / ms)} member updates/s, ${((cpu.user + cpu.system) / resources).toFixed(1)} µs CPU/member update (incl. the PUBLISHes and answering the NOTIFYs)`);
    console.log(`memory       heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB after ${L} lists (${L * M} member watchers)`);
  } finally {
    await h.close();
  }
}

if (isMain(import.meta.url)) await run();
