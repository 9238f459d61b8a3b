// RFC 4475 (SIP torture messages) and RFC 5118 (IPv6 torture messages), run through parse and
// the request gate exactly as the worker does, for a presence server that is registrar + UAS.
//
// `ours` is the precise outcome we produce for each file; `allowed(expect)` checks it is one of
// the outcomes the fixture's index allows. Choices where the index leaves room:
// - INVITE / MESSAGE / BYE are methods we know but do not serve: 405 with Allow comes first
//   (§8.2.1), so invut (415), sdp01 (406-or-400), baddate (400-or-ignore: Date is never read)
//   and every valid INVITE get 405. Unknown methods (intmeth, esc02) get 501.
// - badbranch (400-or-accept): accepted; a bare "z9hG4bK" branch is the transaction layer's
//   business (it falls back to RFC 2543 matching).
// - novelsc (416-or-404): 416. unksm2 (400-at-registrar): 400 naming To.
// - regaut01 (accept-or-401): accepted by the gate (authentication is not a codec concern).
// - bigcode / scalarlg / bcast: responses that must be dropped — bigcode by parse (no 3-digit
//   code), scalarlg (CSeq overflow) and bcast (two Vias, §8.1.3.3) by gateResponse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { gateRequest, gateResponse } from '../../../src/codec/sip/request-gate.js';
import { getHeaderValues } from '../../../src/codec/sip/headers.js';
import { serializeResponse } from '../../../src/codec/sip/serialize.js';
import type { SipMessage } from '../../../src/codec/sip/types.js';
import { readFixture, readFixtureJson } from '../../support/fixtures.js';

interface IndexEntry { file: string; expect: string; content_length_declared?: string }
interface Index { count: number; messages: IndexEntry[] }

/** 'ok' = gate null (or a response that passes gateResponse); number = status; 'drop'; 'any'. */
type Outcome = 'ok' | 'drop' | 'any' | number;

const OURS: Record<string, { out: Outcome; reason?: RegExp }> = {
  'wsinv.dat': { out: 405 }, 'intmeth.dat': { out: 501 }, 'esc01.dat': { out: 405 },
  'escnull.dat': { out: 'ok' }, 'esc02.dat': { out: 501 }, 'lwsdisp.dat': { out: 'ok' },
  'longreq.dat': { out: 405 }, 'dblreq.dat': { out: 'ok' }, 'semiuri.dat': { out: 'ok' },
  'transports.dat': { out: 'ok' }, 'mpart01.dat': { out: 405 }, 'unreason.dat': { out: 'ok' },
  'noreason.dat': { out: 'ok' }, 'badinv01.dat': { out: 400, reason: /Via/ },
  'clerr.dat': { out: 400, reason: /Content-Length/ }, 'ncl.dat': { out: 400, reason: /Content-Length/ },
  'scalar02.dat': { out: 400, reason: /CSeq/ }, 'scalarlg.dat': { out: 'drop' },
  'quotbal.dat': { out: 400, reason: /To/ }, 'ltgtruri.dat': { out: 400, reason: /Request-Line/ },
  'lwsruri.dat': { out: 400, reason: /Request-Line/ }, 'lwsstart.dat': { out: 400, reason: /Request-Line/ },
  'trws.dat': { out: 400, reason: /Request-Line/ }, 'escruri.dat': { out: 400, reason: /Request-URI/ },
  'baddate.dat': { out: 405 }, 'regbadct.dat': { out: 400, reason: /Contact/ },
  'badaspec.dat': { out: 400, reason: /To/ }, 'baddn.dat': { out: 400, reason: /Incomplete Header Section/ },
  'badvers.dat': { out: 505 }, 'mismatch01.dat': { out: 400, reason: /CSeq/ }, 'mismatch02.dat': { out: 501 },
  'bigcode.dat': { out: 'drop' }, 'badbranch.dat': { out: 'ok' },
  'insuf.dat': { out: 400, reason: /missing From, To, Call-ID/ }, 'unkscm.dat': { out: 416 },
  'novelsc.dat': { out: 416 }, 'unksm2.dat': { out: 400, reason: /To/ }, 'bext01.dat': { out: 420 },
  'invut.dat': { out: 405 }, 'regaut01.dat': { out: 'ok' },
  'multi01.dat': { out: 400, reason: /multiple values in To, From, Call-ID, CSeq, Max-Forwards/ },
  'mcl01.dat': { out: 400, reason: /Content-Length/ }, 'bcast.dat': { out: 'drop' }, 'zeromf.dat': { out: 'ok' },
  'cparam01.dat': { out: 'ok' }, 'cparam02.dat': { out: 'ok' }, 'regescrt.dat': { out: 'ok' },
  'sdp01.dat': { out: 405 }, 'inv2543.dat': { out: 405 }, 'test.dat': { out: 'any' },
  // RFC 5118
  'ipv6-good.dat': { out: 'ok' }, 'ipv6-bad.dat': { out: 400, reason: /Request-URI/ },
  'port-ambiguous.dat': { out: 'ok' }, 'port-unambiguous.dat': { out: 'ok' },
  'via-received-param-with-delim.dat': { out: 405 }, 'via-received-param-no-delim.dat': { out: 'ok' },
  'ipv6-in-sdp.dat': { out: 405 }, 'mult-ip-in-header.dat': { out: 405 }, 'mult-ip-in-sdp.dat': { out: 405 },
  'ipv4-mapped-ipv6.dat': { out: 405 }, 'ipv6-bug-abnf-3-colons.dat': { out: 'ok' },
  'ipv6-correct-abnf-2-colons.dat': { out: 'ok' },
};

/** Outcomes a registrar + presence UAS (no INVITE/MESSAGE) may give for each index `expect`. */
function allowed(expect: string): Outcome[] {
  switch (expect) {
    case 'accept': return ['ok', 405, 501];
    case '400-or-accept': return [400, 'ok'];
    case '400-or-ignore': return [400, 'ok', 405];
    case '416-or-404': return [416, 404];
    case '406-or-400': return [406, 400, 405];
    case '415': return [415, 405];
    case 'accept-or-401': return ['ok', 401];
    case '400-at-registrar': return [400];
    case 'drop': return ['drop'];
    case 'none': return ['any'];
    default: return [Number(expect)];
  }
}

interface Run { out: Outcome; reason: string; msg: SipMessage | null; headers: { name: string; value: string }[] }

function run(buf: Buffer): Run {
  const r = parseSipMessage(buf);
  if (!r.ok) return { out: r.drop ? 'drop' : r.status, reason: r.reason, msg: null, headers: [] };
  if (r.msg.kind === 'response') {
    const why = gateResponse(r.msg);
    return { out: why === null ? 'ok' : 'drop', reason: why ?? '', msg: r.msg, headers: [] };
  }
  const g = gateRequest(r.msg, { supportedExtensions: ['path', 'outbound'] });
  return g === null
    ? { out: 'ok', reason: '', msg: r.msg, headers: [] }
    : { out: g.status, reason: g.reason, msg: r.msg, headers: g.headers };
}

test('RFC 4475 + RFC 5118 torture messages: parse + gate outcome per file', () => {
  const sets: [string, Index][] = [['torture', readFixtureJson<Index>('torture', 'index.json')], ['torture-ipv6', readFixtureJson<Index>('torture-ipv6', 'index.json')]];
  assert.equal(sets[0]![1].messages.length, 50);
  assert.equal(sets[1]![1].messages.length, 12);
  const results = new Map<string, Run>();
  for (const [dir, index] of sets) {
    for (const m of index.messages) {
      const mine = OURS[m.file];
      assert.ok(mine, `no expectation written for ${m.file}`);
      const got = run(readFixture(dir, m.file));
      results.set(m.file, got);
      if (mine.out === 'any') continue;
      assert.equal(got.out, mine.out, `${m.file}: got ${String(got.out)} (${got.reason})`);
      assert.ok(allowed(m.expect).includes(mine.out), `${m.file}: ${String(mine.out)} not allowed by expect=${m.expect}`);
      if (mine.reason) assert.match(got.reason, mine.reason, m.file);
      if (typeof got.out === 'number' && got.out >= 400) assert.notEqual(got.reason, 'Bad Request', `${m.file}: reason must name the fault`);
    }
  }

  const req = (f: string): SipMessage => {
    const m = results.get(f)?.msg;
    assert.ok(m, f);
    return m;
  };
  // escnull: two distinct bindings; %00 kept escaped, nothing truncated.
  assert.deepEqual(getHeaderValues(req('escnull.dat'), 'Contact'), ['<sip:%00@host5.example.com>', '<sip:%00%00@host5.example.com>']);
  // dblreq: only the REGISTER, and its body is empty (Content-Length: 0).
  const dbl = req('dblreq.dat');
  assert.equal(dbl.kind === 'request' && dbl.method, 'REGISTER');
  assert.equal(dbl.body.length, 0);
  // mpart01: binary body framed by Content-Length, NUL and bare LF included.
  const mp = req('mpart01.dat');
  assert.equal(mp.body.length, 553);
  assert.ok(mp.body.includes(0) && mp.body.includes(0x0a));
  // longreq: every Via echoed in the response, in order.
  const lr = req('longreq.dat');
  const vias = getHeaderValues(lr, 'Via');
  assert.equal(vias.length, 34);
  const resp = parseSipMessage(serializeResponse(lr, 405, 'Method Not Allowed', { toTag: 'x' }));
  assert.ok(resp.ok);
  assert.deepEqual(getHeaderValues(resp.msg, 'Via'), vias);
  // bext01: 420 lists the Require tags only (Proxy-Require is not a UAS matter).
  assert.deepEqual(results.get('bext01.dat')!.headers, [{ name: 'Unsupported', value: 'nothingSupportsThis, nothingSupportsThisEither' }]);
  // 405 / 501 carry Allow.
  assert.equal(results.get('wsinv.dat')!.headers[0]!.name, 'Allow');
  assert.equal(results.get('mismatch02.dat')!.headers[0]!.name, 'Allow');
  // inv2543: no Content-Length over UDP → body is the rest of the datagram.
  assert.ok(req('inv2543.dat').body.length > 0);
  // transports: all five Vias, unknown transport kept.
  assert.equal(getHeaderValues(req('transports.dat'), 'Via').length, 5);
});

test('insuf: the 400 can still be built from the partial headers (Via, CSeq only)', () => {
  const r = parseSipMessage(readFixture('torture', 'insuf.dat'));
  assert.ok(r.ok && r.msg.kind === 'request');
  const g = gateRequest(r.msg, { supportedExtensions: [] });
  assert.ok(g !== null && g.status === 400);
  const out = parseSipMessage(serializeResponse(r.msg, g.status, g.reason, { toTag: 't1', viaReceived: { ip: '192.0.2.95', port: 5060 } }));
  assert.ok(out.ok && out.msg.kind === 'response');
  assert.equal(out.msg.status, 400);
  assert.equal(out.msg.reason, 'Bad Request - missing From, To, Call-ID');
  assert.deepEqual(out.msg.headers.map((h) => h.name), ['Via', 'CSeq', 'Content-Length']);
});

test('parse failures keep the recoverable headers (badvers, baddn, clerr)', () => {
  for (const f of ['badvers.dat', 'baddn.dat', 'clerr.dat', 'ltgtruri.dat']) {
    const r = parseSipMessage(readFixture('torture', f));
    assert.ok(!r.ok, f);
    assert.equal(r.drop, false, f);
    assert.deepEqual([...new Set(r.partial.map((h) => h.name))].sort(), ['CSeq', 'Call-ID', 'From', 'To', 'Via'], f);
    // And a response can be built from them.
    const resp = parseSipMessage(serializeResponse({ headers: r.partial }, r.status, r.reason, { toTag: 'a' }));
    assert.ok(resp.ok && resp.msg.kind === 'response' && resp.msg.status === r.status, f);
  }
  const bv = parseSipMessage(readFixture('torture', 'badvers.dat'));
  assert.ok(!bv.ok && bv.status === 505);
});
