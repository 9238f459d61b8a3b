// Watcher authorization and presence.winfo end to end (RFC 3856 §5, RFC 5025 decisions,
// RFC 3857/3858): confirm → pending with no body, the presentity's winfo subscription sees
// the pending watcher, `comsipl rules approve` (editing the file) makes the server send the
// state; deny → terminated;reason=rejected; block → 403; polite-block → a closed document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRulesCli } from '../../src/policy/rules-cli.js';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, body, rand, PIDF, type ReqSpec } from '../support/sip-ua.js';
import { subscribe, cseqOf } from '../hardening/helpers.js';
import type { SipRequest } from '../../src/codec/sip/types.js';

const ALICE = 'sip:alice@127.0.0.1';
let data: string;
let rulesFile: string;
let srv: RunningServer;
let alice: SipUA;
let watchers: SipUA;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-winfo-'));
  rulesFile = join(data, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify({
    users: { [ALICE]: { default: 'confirm', block: ['sip:eve@127.0.0.1'], politeBlock: ['sip:pat@127.0.0.1'] } },
  }));
  srv = await startServer([], { data });
  alice = await new SipUA().bind();
  watchers = await new SipUA().bind();
  const pub: ReqSpec = {
    method: 'PUBLISH', uri: ALICE, from: `<${ALICE}>;tag=p`, to: `<${ALICE}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(ALICE, 'open', 'd1', 'alice-is-in'),
  };
  assert.equal((await alice.request(pub, srv.port)).status, 200);
});
after(async () => {
  alice.close();
  watchers.close();
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

function winfoVersion(n: SipRequest): number {
  return Number(/<watcherinfo[^>]* version="(\d+)"/.exec(body(n))?.[1]);
}

/** The status the winfo document gives the watcher `uri`. */
function statusOf(n: SipRequest, uri: string): string | undefined {
  const re = new RegExp(`<watcher [^>]*status="([a-z]+)"[^>]*>${uri.replace(/[.]/g, '\\.')}</watcher>`);
  return re.exec(body(n))?.[1];
}

test('confirm → pending without body; winfo sees it; approve via the rules CLI → active NOTIFY with the state', async () => {
  const w = await subscribe(alice, srv.port, ALICE, ALICE, { event: 'presence.winfo', headers: [['Accept', 'application/watcherinfo+xml']] });
  assert.equal(w.res.status, 200);
  assert.equal(hdr(w.res, 'Allow-Events'), 'presence, presence.winfo, dialog');
  const w0 = await alice.waitNotify(w.callId, 3000, 0);
  assert.equal(hdr(w0, 'Event'), 'presence.winfo');
  assert.equal(hdr(w0, 'Content-Type'), 'application/watcherinfo+xml');
  assert.equal(winfoVersion(w0), 0);
  assert.match(body(w0), /<watcher-list resource="sip:alice@127\.0\.0\.1" package="presence">/);

  const bob = 'sip:bob@127.0.0.1';
  const mark = alice.received.length;
  const b = await subscribe(watchers, srv.port, ALICE, bob);
  assert.equal(b.res.status, 200);
  const n1 = await watchers.waitNotify(b.callId, 3000, 0);
  assert.match(hdr(n1, 'Subscription-State')!, /^pending;expires=\d+$/);
  assert.equal(body(n1), '', 'pending: no state leaks');
  assert.equal(hdr(n1, 'Content-Type'), undefined);

  const w1 = await alice.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === w.callId && statusOf(m as SipRequest, bob) === 'pending', 3000, mark) as SipRequest;
  assert.ok(winfoVersion(w1) >= 1 && cseqOf(w1) > cseqOf(w0));

  const mark2 = watchers.received.length;
  const out: string[] = [];
  const code = await runRulesCli(['approve', ALICE, bob, '--file', rulesFile], { stdout: { write: (s: string) => out.push(s) } as never, stderr: { write: (s: string) => out.push(s) } as never });
  assert.equal(code, 0, out.join(''));
  const n2 = await watchers.waitNotify(b.callId, 5000, mark2);
  assert.match(hdr(n2, 'Subscription-State')!, /^active;expires=\d+$/);
  assert.match(body(n2), /alice-is-in/);
  const w2 = await alice.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === w.callId && statusOf(m as SipRequest, bob) === 'active', 3000, mark);
  assert.match(body(w2), /event="approved"/);
});

test('deny of a pending watcher → NOTIFY terminated;reason=rejected; then a new SUBSCRIBE → 403', async () => {
  const carol = 'sip:carol@127.0.0.1';
  const c = await subscribe(watchers, srv.port, ALICE, carol);
  assert.equal(c.res.status, 200);
  const n1 = await watchers.waitNotify(c.callId, 3000, 0);
  assert.match(hdr(n1, 'Subscription-State')!, /^pending/);
  const mark = watchers.received.length;
  const io = { stdout: { write: () => true } as never, stderr: { write: () => true } as never };
  assert.equal(await runRulesCli(['deny', ALICE, carol, '--file', rulesFile], io), 0);
  srv.proc.kill('SIGHUP'); // either the file watch or the signal may deliver it; one reload suffices
  const n2 = await watchers.waitNotify(c.callId, 5000, mark);
  assert.equal(hdr(n2, 'Subscription-State'), 'terminated;reason=rejected');
  assert.equal(body(n2), '');
  const again = await subscribe(watchers, srv.port, ALICE, carol);
  assert.equal(again.res.status, 403);
});

test('block → 403; polite-block → active with a closed document; winfo of somebody else → 403', async () => {
  const e = await subscribe(watchers, srv.port, ALICE, 'sip:eve@127.0.0.1');
  assert.equal(e.res.status, 403);
  const p = await subscribe(watchers, srv.port, ALICE, 'sip:pat@127.0.0.1');
  assert.equal(p.res.status, 200);
  const n = await watchers.waitNotify(p.callId, 3000, 0);
  assert.match(hdr(n, 'Subscription-State')!, /^active/);
  assert.match(body(n), /<basic>closed<\/basic>/);
  assert.doesNotMatch(body(n), /alice-is-in/);
  const spy = await subscribe(watchers, srv.port, ALICE, 'sip:pat@127.0.0.1', { event: 'presence.winfo' });
  assert.equal(spy.res.status, 403);
  const wrongAccept = await subscribe(alice, srv.port, ALICE, ALICE, { event: 'presence.winfo', headers: [['Accept', 'application/pidf+xml']] });
  assert.equal(wrongAccept.res.status, 406);
});
