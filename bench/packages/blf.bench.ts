// Busy-lamp fields at scale (RFC 4235), in process: E extensions each watched by W phones
// (Event: dialog), then one call per extension published as pua_dialoginfo does (early,
// confirmed, terminated, each a PUBLISH with SIP-If-Match). Measures dialog NOTIFYs/s and
// main-thread CPU per NOTIFY. EXTENSIONS=1000 WATCHERS=20 node dist/bench/packages/blf.bench.js
import { performance } from 'node:perf_hooks';
import { request, startHarness, until } from './inproc.js';
import { isMain } from '../support/report.js';

const DI = (ext: string, state: string, v: number) => `<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${v}" state="full" entity="sip:${ext}@127.0.0.1"><dialog id="call-${ext}" call-id="c-${ext}@pbx" local-tag="l" remote-tag="r" direction="recipient"><state>${state}</state><remote><identity>sip:caller@127.0.0.1</identity><target uri="sip:caller@127.0.0.1:5070"/></remote></dialog></dialog-info>`;

export async function run(): Promise<void> {
  const E = Number(process.env.EXTENSIONS ?? 1000);
  const W = Number(process.env.WATCHERS ?? 20);
  const h = await startHarness(['--durability', 'os', '--notify-min-interval', '5']);
  console.log(`# blf (node ${process.version}; in process, NOTIFYs answered at once, durability os, --notify-min-interval 5 which BLF ignores): ${E} extensions × ${W} watchers = ${E * W} dialog subscriptions`);
  try {
    let notifies = 0;
    h.onNotify = () => {
      notifies++;
    };
    const subs: Buffer[] = [];
    for (let e = 0; e < E; e++) {
      for (let w = 0; w < W; w++) {
        subs.push(request([
          `SUBSCRIBE sip:x${e}@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbs${e}x${w}`, 'Max-Forwards: 70',
          `From: <sip:phone${w}@127.0.0.1>;tag=t${e}x${w}`, `To: <sip:x${e}@127.0.0.1>`, `Call-ID: bs${e}x${w}@bench`, 'CSeq: 1 SUBSCRIBE',
          `Contact: <sip:phone${w}@127.0.0.1:5999>`, 'Event: dialog', 'Accept: application/dialog-info+xml', 'Expires: 1800',
        ]));
      }
    }
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    await h.inject(subs);
    await until(() => notifies >= E * W, 120_000);
    let ms = performance.now() - t0;
    let cpu = process.cpuUsage(cpu0);
    console.log(`subscribe    ${E * W} SUBSCRIBEs + first NOTIFYs in ${(ms / 1000).toFixed(2)} s: ${Math.round((E * W * 1000) / ms)} dialogs/s, ${((cpu.user + cpu.system) / (E * W)).toFixed(1)} µs CPU/dialog`);
    const etags = new Map<number, string>();
    const oldResponses = h.responses.get(200) ?? 0;
    const transport = h.server.transports.udp! as unknown as { send: (b: Buffer) => void };
    const send = transport.send;
    transport.send = (b: Buffer) => {
      if (b[0] === 0x53) {
        const t = b.toString('latin1', 0, 600);
        const cid = /\r\nCall-ID: bp(\d+)@/.exec(t);
        const et = /\r\nSIP-ETag: (\S+)\r\n/.exec(t);
        if (cid !== null && et !== null) etags.set(Number(cid[1]), et[1]!);
      }
      send(b);
    };
    notifies = 0;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    for (const [state, v] of [['early', 1], ['confirmed', 2], ['terminated', 3]] as const) {
      const before = h.responses.get(200) ?? 0;
      await h.inject(Array.from({ length: E }, (_, e) => request([
        `PUBLISH sip:x${e}@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbp${e}v${v}`, 'Max-Forwards: 70',
        `From: <sip:x${e}@127.0.0.1>;tag=p${e}`, `To: <sip:x${e}@127.0.0.1>`, `Call-ID: bp${e}@bench`, `CSeq: ${v} PUBLISH`,
        'Event: dialog', 'Expires: 120', ...(v > 1 && etags.has(e) ? [`SIP-If-Match: ${etags.get(e)}`] : []), 'Content-Type: application/dialog-info+xml',
      ], DI(`x${e}`, state, v))));
      await until(() => (h.responses.get(200) ?? 0) - before >= E, 60_000);
    }
    const all = await until(() => notifies >= 3 * E * W, 120_000);
    ms = performance.now() - t0;
    cpu = process.cpuUsage(cpu0);
    console.log(`calls        ${3 * E} PUBLISHes (early, confirmed, terminated per extension) → ${all ? '' : `(${notifies} of ${3 * E * W}) `}${notifies} NOTIFYs in ${(ms / 1000).toFixed(2)} s: ${Math.round((notifies * 1000) / ms)} NOTIFY/s, ${((cpu.user + cpu.system) / notifies).toFixed(1)} µs CPU/NOTIFY (incl. the PUBLISHes and answering the NOTIFYs)`);
    console.log(`memory       heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB; 200s before calls ${oldResponses}`);
  } finally {
    await h.close();
  }
}

if (isMain(import.meta.url)) await run();
