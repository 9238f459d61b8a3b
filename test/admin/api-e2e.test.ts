// The admin API end to end against the real server (child process, UDP + HTTP on loopback):
// authentication (401 leaking nothing), input validation (4xx JSON errors), paging, and the
// actions' real effects seen over SIP (PUBLISH → presence, approve → active NOTIFY, kick →
// terminated NOTIFY, binding removal, users).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, body, rand, PIDF } from '../support/sip-ua.js';
import { subscribe } from '../hardening/helpers.js';
import { adminCall, eventually, tokenOf } from '../support/admin.js';

const HOST = '127.0.0.1';
let data: string;
let srv: RunningServer;
let ua: SipUA;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-admin-'));
  writeFileSync(join(data, 'rules.json'), JSON.stringify({ users: { [`sip:carol@${HOST}`]: { default: 'confirm' } } }));
  srv = await startServer([], { data });
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

function register(user: string, contactUser = user, expires = 600) {
  const aor = `sip:${user}@${HOST}`;
  return ua.request({
    method: 'REGISTER', uri: `sip:${HOST}`, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Contact', `<sip:${contactUser}@${ua.hostPort}>`], ['Expires', String(expires)]],
  }, srv.port);
}

function publish(user: string, doc: string) {
  const aor = `sip:${user}@${HOST}`;
  return ua.request({
    method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'presence'], ['Expires', '600'], ['Content-Type', 'application/pidf+xml']], body: doc,
  }, srv.port);
}

const busyDoc = (aor: string): string =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${aor}">` +
  `<tuple id="t"><status><basic>open</basic></status></tuple><dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities><dm:note>In a meeting</dm:note></dm:person></presence>`;

test('the token file is made at first start, mode 0600; health endpoints are open', async () => {
  assert.equal(statSync(join(data, 'admin-token')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(data, 'admin-url'), 'utf8').trim(), srv.admin);
  const h = await adminCall(srv, 'GET', '/healthz', { token: null });
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: 'ok' });
  const r = await adminCall(srv, 'GET', '/readyz', { token: null });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ready' });
});

test('no token or a wrong one: 401 with the same body on every path, known or not', async () => {
  const paths: [string, string][] = [['GET', '/api/status'], ['GET', '/metrics'], ['GET', '/api/registrations'], ['POST', '/api/users'],
    ['DELETE', '/api/subscriptions/x'], ['GET', '/api/nope'], ['GET', '/secret'], ['GET', '/api/events']];
  const bodies = new Set<string>();
  for (const [method, path] of paths) {
    for (const token of [null, 'wrong', `${tokenOf(srv)}x`, '']) {
      const r = await adminCall(srv, method, path, { token });
      assert.equal(r.status, 401, `${method} ${path} token=${String(token)}`);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="comsipl"');
      bodies.add(r.text);
    }
  }
  assert.deepEqual([...bodies], ['{"error":"unauthorized"}']);
  // A Basic header is not a bearer token either.
  const res = await fetch(`${srv.admin}/api/status`, { headers: { authorization: `Basic ${Buffer.from(`x:${tokenOf(srv)}`).toString('base64')}` } });
  assert.equal(res.status, 401);
});

test('bad input: 4xx with a JSON error naming the problem', async () => {
  const cases: [string, string, Record<string, unknown>, number, RegExp][] = [
    ['GET', '/api/registrations?limit=0', {}, 400, /limit/],
    ['GET', '/api/registrations?limit=5000', {}, 400, /limit/],
    ['GET', '/api/registrations?limit=abc', {}, 400, /limit/],
    ['GET', '/api/registrations?colour=red', {}, 400, /colour|unrecognized/i],
    ['GET', '/api/registrations?limit=1&limit=2', {}, 400, /twice/],
    ['GET', '/api/registrations?cursor=%24%24', {}, 400, /cursor/],
    ['GET', '/api/presentities?state=sleepy', {}, 400, /state/],
    ['GET', '/api/presentities/not-an-aor', {}, 400, /AoR/],
    ['GET', '/api/presentities/%E0%A4%A', {}, 400, /percent/],
    ['GET', '/api/presentities/nobody%40127.0.0.1', {}, 404, /no such presentity/],
    ['DELETE', '/api/subscriptions/nosuch', {}, 404, /no such subscription/],
    ['DELETE', '/api/subscriptions/abc?reason=because', {}, 400, /reason/],
    ['DELETE', '/api/registrations/nobody%40127.0.0.1', {}, 404, /no registration/],
    ['POST', '/api/approvals', { body: { presentity: 'a@b.c', watcher: 'd@e.f' } }, 400, /decision/],
    ['POST', '/api/approvals', { body: { presentity: 'a@b.c', watcher: 'd@e.f', decision: 'maybe' } }, 400, /decision/],
    ['POST', '/api/approvals', { body: { presentity: '*@b.c', watcher: 'd@e.f', decision: 'approve' } }, 400, /presentity/],
    ['POST', '/api/approvals', { body: { presentity: 'a@b.c', watcher: 'd@e.f', decision: 'approve', extra: 1 } }, 400, /extra|unrecognized/i],
    ['POST', '/api/approvals', { rawBody: '{"presentity":' }, 400, /not valid JSON/],
    ['POST', '/api/approvals', { rawBody: 'presentity=a', contentType: 'application/x-www-form-urlencoded' }, 415, /application\/json/],
    ['POST', '/api/approvals', { rawBody: JSON.stringify({ presentity: 'x'.repeat(20_000) }) }, 413, /larger/],
    ['POST', '/api/users', { body: { aor: 'nodomain', password: 'x' } }, 400, /aor/],
    ['POST', '/api/users', { body: { aor: 'a@b.c', password: '' } }, 400, /password/],
    ['DELETE', '/api/users/ghost%40127.0.0.1', {}, 404, /no such user/],
    ['PUT', '/api/status', {}, 405, /method not allowed/],
    ['GET', '/api/nothing-here', {}, 404, /not found/],
  ];
  for (const [method, path, opts, status, re] of cases) {
    const r = await adminCall(srv, method, path, opts as never);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    assert.equal(typeof r.json?.error, 'string', `${method} ${path}: JSON error`);
    assert.match(r.json.error, re, `${method} ${path}`);
  }
});

test('registrations are paged by key: every AoR exactly once, filters, cursors', async () => {
  const prefix = `pg${rand(3)}`;
  for (let i = 0; i < 25; i++) assert.equal((await register(`${prefix}-${String(i).padStart(2, '0')}`)).status, 200);
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const r: { status: number; json: { items: { aor: string; bindings: { expiresIn: number; transport: string }[] }[]; total: number; next: string | null } } =
      await adminCall(srv, 'GET', `/api/registrations?aor=${prefix}&limit=10${cursor !== null ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.total, 25);
    assert.ok(r.json.items.length <= 10);
    for (const it of r.json.items) {
      seen.push(it.aor);
      assert.equal(it.bindings.length, 1);
      assert.equal(it.bindings[0]!.transport, 'udp');
      assert.ok(it.bindings[0]!.expiresIn > 500 && it.bindings[0]!.expiresIn <= 600);
    }
    cursor = r.json.next;
    if (cursor === null) break;
  }
  assert.equal(seen.length, 25);
  assert.deepEqual(seen, [...seen].sort(), 'ascending');
  assert.equal(new Set(seen).size, 25, 'no AoR twice');
  const byContact = await adminCall(srv, 'GET', `/api/registrations?contact=${prefix}-07`);
  assert.deepEqual(byContact.json.items.map((i: { aor: string }) => i.aor), [`sip:${prefix}-07@${HOST}`]);
});

test('a PUBLISH over UDP shows in GET /api/presentities/{aor}: state, note, composed PIDF', async () => {
  const user = `pub${rand(3)}`;
  const aor = `sip:${user}@${HOST}`;
  assert.equal((await publish(user, busyDoc(aor))).status, 200);
  const r = await adminCall(srv, 'GET', `/api/presentities/${encodeURIComponent(`${user}@${HOST}`)}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.aor, aor);
  assert.equal(r.json.state, 'busy');
  assert.equal(r.json.note, 'In a meeting');
  assert.equal(r.json.publications, 1);
  assert.match(r.json.pidf, /<rpid:busy\/>/);
  assert.match(r.json.pidf, /<basic>open<\/basic>/);
  // The listing finds it by state, and the closed one by 'offline'.
  assert.equal((await publish(`${user}-off`, PIDF(`${aor}-off`, 'closed'))).status, 200);
  const busy = await adminCall(srv, 'GET', `/api/presentities?aor=${user}&state=busy`);
  assert.deepEqual(busy.json.items.map((i: { aor: string }) => i.aor), [aor]);
  const off = await adminCall(srv, 'GET', `/api/presentities?aor=${user}&state=offline`);
  assert.deepEqual(off.json.items.map((i: { aor: string }) => i.aor), [`sip:${user}-off@${HOST}`]);
});

test('approve a pending watcher through the API: its NOTIFY goes active with the state', async () => {
  const carol = `sip:carol@${HOST}`;
  assert.equal((await publish('carol', PIDF(carol, 'open', 'c1', 'carol-here'))).status, 200);
  const watcher = `sip:w${rand(3)}@${HOST}`;
  const d = await subscribe(ua, srv.port, carol, watcher);
  assert.equal(d.res.status, 200);
  const first = await ua.waitNotify(d.callId, 5000, 0);
  assert.match(hdr(first, 'Subscription-State')!, /^pending/);
  assert.equal(body(first), '');
  const pending = await adminCall(srv, 'GET', '/api/approvals');
  const mine = pending.json.items.find((p: { watcher: string }) => p.watcher.endsWith(watcher.slice(4)));
  assert.ok(mine, JSON.stringify(pending.json));
  assert.equal(mine.presentity, carol);
  const w = await adminCall(srv, 'GET', `/api/presentities/${encodeURIComponent(carol)}/watchers`);
  assert.equal(w.json.items.find((x: { id: string }) => x.id === mine.id).state, 'pending');

  const from = ua.received.length;
  const ok = await adminCall(srv, 'POST', '/api/approvals', { body: { presentity: carol, watcher, decision: 'approve' } });
  assert.equal(ok.status, 200, ok.text);
  const active = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === d.callId && /^active/.test(hdr(m, 'Subscription-State') ?? ''), 5000, from);
  assert.match(body(active), /carol-here/);
  // Same effect as `comsipl rules approve`: the rules file says so.
  const rules = JSON.parse(readFileSync(join(data, 'rules.json'), 'utf8'));
  assert.deepEqual(rules.users[carol].allow, [watcher]);
  const after = await adminCall(srv, 'GET', '/api/approvals');
  assert.equal(after.json.items.some((p: { id: string }) => p.id === mine.id), false);
});

test('kick a subscription: the watcher gets terminated;reason=deactivated and it is gone', async () => {
  const user = `k${rand(3)}`;
  const aor = `sip:${user}@${HOST}`;
  assert.equal((await publish(user, PIDF(aor, 'open'))).status, 200);
  const d = await subscribe(ua, srv.port, aor, `sip:kw@${HOST}`);
  await ua.waitNotify(d.callId, 5000, 0);
  const list = await adminCall(srv, 'GET', `/api/presentities/${encodeURIComponent(aor)}/watchers`);
  assert.equal(list.json.total, 1);
  const sub = list.json.items[0];
  assert.equal(sub.watcher, `sip:kw@${HOST}`);
  assert.equal(sub.state, 'active');
  assert.equal(sub.event, 'presence');
  const from = ua.received.length;
  const r = await adminCall(srv, 'DELETE', `/api/subscriptions/${encodeURIComponent(sub.id)}`);
  assert.equal(r.status, 200, r.text);
  const last = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === d.callId, 5000, from);
  assert.equal(hdr(last, 'Subscription-State'), 'terminated;reason=deactivated');
  await eventually(async () => ((await adminCall(srv, 'GET', `/api/presentities/${encodeURIComponent(aor)}/watchers`)).json.total === 0 ? true : undefined), 'the subscription to go');
  assert.equal((await adminCall(srv, 'DELETE', `/api/subscriptions/${encodeURIComponent(sub.id)}`)).status, 404);
});

test('remove one binding, then the rest; a REGISTER query agrees', async () => {
  const user = `b${rand(3)}`;
  assert.equal((await register(user, 'phone1')).status, 200);
  assert.equal((await register(user, 'phone2')).status, 200);
  const aor = encodeURIComponent(`${user}@${HOST}`);
  const one = await adminCall(srv, 'DELETE', `/api/registrations/${aor}?contact=${encodeURIComponent(`sip:phone1@${ua.hostPort}`)}`);
  assert.deepEqual(one.json, { removed: 1 });
  const left = await adminCall(srv, 'GET', `/api/registrations?aor=${user}`);
  assert.deepEqual(left.json.items[0].bindings.map((b: { uri: string }) => b.uri), [`sip:phone2@${ua.hostPort}`]);
  assert.deepEqual((await adminCall(srv, 'DELETE', `/api/registrations/${aor}`)).json, { removed: 1 });
  const q = await ua.request({ method: 'REGISTER', uri: `sip:${HOST}`, from: `<sip:${user}@${HOST}>;tag=q`, to: `<sip:${user}@${HOST}>`, callId: rand(), cseq: 1 }, srv.port);
  assert.equal(hdr(q, 'Contact'), undefined, 'no binding left');
});

test('users: add, list, remove through the API (the users file changes)', async () => {
  const add = await adminCall(srv, 'POST', '/api/users', { body: { aor: 'dora@example.com', password: 'pw-1' } });
  assert.equal(add.status, 201, add.text);
  assert.deepEqual(add.json, { created: true, aor: 'dora@example.com', realm: 'example.com' });
  const list = await adminCall(srv, 'GET', '/api/users');
  assert.deepEqual(list.json.items.map((u: { aor: string }) => u.aor), ['dora@example.com']);
  assert.ok(!list.text.includes('ha1') && !/[0-9a-f]{32}/.test(list.text), 'no hashes in the listing');
  assert.equal((await adminCall(srv, 'GET', '/api/status')).json.users, 1);
  const rm = await adminCall(srv, 'DELETE', `/api/users/${encodeURIComponent('sip:dora@example.com')}`);
  assert.equal(rm.status, 200);
  assert.deepEqual(JSON.parse(readFileSync(join(data, 'users.json'), 'utf8')).users, {});
});

test('status counts what the server holds', async () => {
  const s = await adminCall(srv, 'GET', '/api/status');
  assert.equal(s.status, 200);
  assert.equal(s.json.ready, true);
  assert.equal(s.json.auth, 'off');
  // Every listener the server opened, with its port (UDP and TCP share one by default).
  const expected = Object.entries(srv.ports).map(([transport, port]) => ({ transport, host: HOST, port }));
  assert.deepEqual(s.json.sip, expected);
  assert.ok(expected.some((l) => l.transport === 'udp' && l.port === srv.port));
  assert.ok(s.json.counts.registrations >= 25);
  assert.ok(s.json.counts.presentities >= 3);
  assert.equal(typeof s.json.counts.storeQueue, 'number');
});
