// Crash safety: a mixed REGISTER/PUBLISH/SUBSCRIBE load, SIGKILL in the middle of it, a
// restart on the same data directory, and then every request that got a 2xx must be there —
// a 200 leaves only after its commit (README "Architecture"), so nothing acknowledged may be
// lost — and NOTIFY CSeqs keep growing per dialog across the restart (RFC 3261 §12.2.1.1).
// Also: an unusable data directory stops the start with one clear line and exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.js';
import { SipUA, hdr, hdrs, rand, tagOf, PIDF, type ReqSpec } from '../support/sip-ua.js';
import type { SipResponse } from '../../src/codec/sip/types.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { cseqOf, sleep } from './helpers.js';

interface Sent { kind: 'reg' | 'pub' | 'sub'; spec: ReqSpec; aor: string }

const ok2xx = (r: SipResponse | undefined): r is SipResponse => r !== undefined && r.status >= 200 && r.status < 300;

async function inChunks<T>(items: T[], size: number, f: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(f));
}

test('SIGKILL under load: every acknowledged binding, publication and subscription survives; NOTIFY CSeqs keep growing', async () => {
  const data = mkdtempSync(join(tmpdir(), 'comsipl-crash-'));
  const ua = await new SipUA().bind();
  try {
    let srv = await startServer([], { data });
    const sent: Sent[] = [];
    const published: string[] = [];
    const round = (i: number): void => {
      const regAor = `sip:cr${i}x${rand(3)}@127.0.0.1`;
      const reg: ReqSpec = { method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${regAor}>;tag=r${i}`, to: `<${regAor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:c${i}@10.1.${i >> 8}.${i & 255}:5060>`]] };
      const pubAor = `sip:cp${i}x${rand(3)}@127.0.0.1`;
      const pub: ReqSpec = { method: 'PUBLISH', uri: pubAor, from: `<${pubAor}>;tag=p${i}`, to: `<${pubAor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(pubAor, 'open', 't', `note-${i}`) };
      const target = published.length > 0 ? published[published.length - 1]! : pubAor;
      const sub: ReqSpec = { method: 'SUBSCRIBE', uri: target, from: `<sip:w${i}@127.0.0.1>;tag=s${i}`, to: `<${target}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`]] };
      published.push(pubAor);
      for (const [kind, spec, aor] of [['reg', reg, regAor], ['pub', pub, pubAor], ['sub', sub, target]] as const) {
        sent.push({ kind, spec, aor });
        ua.sendRaw(ua.build(spec), srv.port);
      }
    };
    // ~100 rounds of 3 requests over ~2 s; the kill lands at about 1.2 s.
    const t0 = Date.now();
    let killed: Promise<void> | null = null;
    for (let i = 0; i < 100 && Date.now() - t0 < 4000; i++) {
      round(i);
      if (i === 60) killed = srv.kill();
      await sleep(20);
    }
    await killed;
    await sleep(100);

    const answers = new Map<string, SipResponse>();
    const maxCseq = new Map<string, number>();
    for (const { msg } of ua.received) {
      if (msg.kind === 'response' && msg.status >= 200) answers.set(hdr(msg, 'Call-ID')!, msg);
      if (msg.kind === 'request' && msg.method === 'NOTIFY') {
        const id = hdr(msg, 'Call-ID')!;
        maxCseq.set(id, Math.max(maxCseq.get(id) ?? 0, cseqOf(msg)));
      }
    }
    const acked = sent.filter((s) => ok2xx(answers.get(s.spec.callId)));
    const unanswered = sent.filter((s) => !answers.has(s.spec.callId));
    assert.ok(acked.length >= 90, `enough acknowledged before the kill (${acked.length})`);
    assert.ok(unanswered.length >= 30, `the kill came mid-load (${unanswered.length} unanswered)`);

    srv = await startServer([], { data });
    const lost: string[] = [];
    const cseqErrors: string[] = [];
    try {
      await inChunks(acked, 30, async (s) => {
        const res = answers.get(s.spec.callId)!;
        if (s.kind === 'reg') {
          const q = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${s.aor}>;tag=q`, to: `<${s.aor}>`, callId: rand(), cseq: 1 }, srv.port);
          const contact = s.spec.headers![0]![1].slice(1, -1);
          if (!hdrs(q, 'Contact').some((c) => c.includes(contact))) lost.push(`binding ${s.aor}`);
        } else if (s.kind === 'pub') {
          const r = await ua.request({ method: 'PUBLISH', uri: s.aor, from: `<${s.aor}>;tag=x`, to: `<${s.aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['SIP-If-Match', hdr(res, 'SIP-ETag')!]] }, srv.port);
          if (r.status !== 200) lost.push(`publication ${s.aor}: ${r.status}`);
        } else {
          const callId = s.spec.callId;
          const before = ua.received.length;
          const r = await ua.request({ ...s.spec, to: `<${s.aor}>;tag=${tagOf(hdr(res, 'To'))}`, cseq: 2, branch: undefined }, srv.port);
          if (r.status !== 200) {
            lost.push(`subscription ${callId}: ${r.status}`);
            return;
          }
          const n = await ua.waitNotify(callId, 3000, before);
          if (cseqOf(n) <= (maxCseq.get(callId) ?? 0)) cseqErrors.push(`${callId}: ${cseqOf(n)} after ${maxCseq.get(callId)}`);
        }
      });
    } finally {
      await srv.stop();
    }
    assert.deepEqual(lost, [], `${lost.length} acknowledged changes lost of ${acked.length}`);
    assert.deepEqual(cseqErrors, []);
  } finally {
    ua.close();
    rmSync(data, { recursive: true, force: true });
  }
});

function startFails(dataDir: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), '--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--log-level', 'silent'], { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stderr: r.stderr };
}

// Running as root, chmod 0500 stops nothing (root bypasses permission bits), so the test
// uses paths that fail for root too: a regular file where a parent directory must be
// (ENOTDIR), and a regular file as the data directory itself (EEXIST). (A path under /proc
// would also do for root, but Node 20's recursive mkdirSync spins forever there.)
test('an unusable data directory: one clear error line and exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-ro-'));
  try {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    for (const path of [join(file, 'data'), file]) {
      const r = startFails(path);
      assert.equal(r.status, 1, `exit code for ${path}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^comsipl: data directory ${path.replace(/[/.-]/g, '\\$&')} is not usable: E[A-Z]+`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
