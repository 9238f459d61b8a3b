// The generator's hot-path parts on their own, without sockets: request templates, the byte
// scanner, the timer FIFO and the slot-based client transactions (matching, generations,
// timers E and F per RFC 3261 §17.1.2.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { F_BRANCH, F_CALL_ID, F_CONTACT_URI, F_ETAG, F_FROM_TAG, F_SUBSTATE, F_TO_TAG, M_NOTIFY, M_PUBLISH, M_REGISTER, SipView } from '../../src/load/sip-view.js';
import { Stats } from '../../src/load/stats.js';
import { HoleValues, IDX, N, readHex, S0, S1, sip, SipTemplate, TX_GEN, TX_SLOT, writeHex } from '../../src/load/template.js';
import { TimerFifo } from '../../src/load/timer-fifo.js';
import { UacTransactions } from '../../src/load/uac-transaction.js';
import { RequestTemplates } from '../../src/load/requests.js';
import { respond } from '../../src/load/messages.js';

/** What the trivial responder does: "SIP/2.0 <status>" followed by the request's own headers. */
function answer(req: Buffer, status = '200 OK'): Buffer {
  const eol = req.indexOf('\r\n');
  return Buffer.concat([Buffer.from(`SIP/2.0 ${status}`), req.subarray(eol)]);
}

describe('templates', () => {
  it('writes fixed-width hex holes and variable string holes', () => {
    const t = new SipTemplate(sip`A ${TX_SLOT}${TX_GEN} u${N}w${IDX} [${S0}] (${S1}) end`);
    const v = new HoleValues();
    v.str[0] = 'etag-1';
    v.str[1] = '';
    assert.equal(t.render(v.set(0xabc, 0x12, 0xdeadbeef, 7)).toString(), 'A 000abc000012 udeadbeefw0007 [etag-1] () end');
    assert.equal(t.fixedLength, 'A 000abc000012 udeadbeefw0007 [] () end'.length);
  });

  it('hex round-trips for every 32-bit value', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
      const b = Buffer.alloc(8);
      writeHex(b, 0, x, 8);
      return readHex(b, 0, 8) === x && b.toString() === x.toString(16).padStart(8, '0');
    }));
    assert.equal(readHex(Buffer.from('12g4'), 0, 4), -1);
  });

  it('renders requests whose Content-Length is the body length and that the scanner reads back', () => {
    const t = new RequestTemplates({ localHost: '127.0.0.1', localPort: 5999, domain: '127.0.0.1' }, 'k9x');
    const v = new HoleValues();
    v.str[0] = 'etag-42';
    const buf = t.publish('p', 60, true, 'closed').render(v.set(3, 4, 5, 0));
    const text = buf.toString('latin1');
    const [head, body] = text.split('\r\n\r\n');
    assert.equal(Number(/Content-Length: (\d+)/.exec(head!)![1]), Buffer.byteLength(body!));
    assert.match(text, /^PUBLISH sip:pk9x00000005@127\.0\.0\.1 SIP\/2\.0\r\n/);
    assert.match(text, /\r\nSIP-If-Match: etag-42\r\n/);
    assert.match(body!, /<note>bk9x00000005<\/note>/);
    const m = new SipView();
    assert.ok(m.scan(buf));
    assert.deepEqual([m.isRequest, m.method, m.str(F_BRANCH), m.str(F_CALL_ID), m.cseq, m.expires], [true, M_PUBLISH, 'z9hG4bKk9x000003000004', 'k9x000003000004@load', 1, 60]);
    assert.equal(m.body().toString(), body);
  });
});

describe('SipView', () => {
  it('reads compact forms, odd case and spacing, tags after a URI with parameters, and a bounded body', () => {
    const raw = Buffer.from(
      'NOTIFY sip:w@127.0.0.1:5 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:9;BRANCH=z9hG4bKn1 ;rport\r\nVia: SIP/2.0/UDP x;branch=second\r\n' +
        'F :  <sip:s@h;transport=udp;tag=not-this>;tag=srv1\r\nTO:<sip:w@h>;tag=me1\r\ni: cid-1\r\ncseq: 9  NOTIFY\r\n' +
        'm: sip:srv@127.0.0.1:5060;transport=udp\r\nSubscription-State: Terminated;reason=timeout\r\nSIP-ETag: e1\r\nl: 3\r\n\r\nabcdef',
      'latin1',
    );
    const m = new SipView();
    assert.ok(m.scan(raw));
    assert.deepEqual(
      [m.method, m.str(F_BRANCH), m.str(F_FROM_TAG), m.str(F_TO_TAG), m.str(F_CALL_ID), m.cseq, m.str(F_CONTACT_URI), m.str(F_ETAG), m.body().toString()],
      [M_NOTIFY, 'z9hG4bKn1', 'srv1', 'me1', 'cid-1', 9, 'sip:srv@127.0.0.1:5060', 'e1', 'abc'],
    );
    assert.ok(m.isTerminated());
    assert.equal(m.str(F_SUBSTATE), 'Terminated;reason=timeout');
    const out = respond(m, Buffer.from('SIP/2.0 200 OK\r\n')).toString('latin1');
    assert.equal(out.split('\r\n').filter((l) => /^(v|via|f |to|i|cseq):/i.test(l)).length, 6, out);
    assert.ok(out.endsWith('\r\nContent-Length: 0\r\n\r\n'));
  });

  it('rejects what is not SIP and never throws on arbitrary bytes', () => {
    const m = new SipView();
    assert.equal(m.scan(Buffer.from('hello world')), false);
    assert.equal(m.scan(Buffer.from('SIP/2.0 99 Bad\r\n\r\n')), false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, asResponse) => {
      const buf = Buffer.concat([Buffer.from(asResponse ? 'SIP/2.0 200 OK\r\n' : 'NOTIFY sip:a SIP/2.0\r\n'), bytes]);
      if (m.scan(buf)) assert.ok(m.bodyStart <= m.bodyEnd && m.bodyEnd <= buf.length);
    }), { numRuns: 2000 });
  });
});

describe('TimerFifo', () => {
  it('pops in push order across growth and wrap-around, only when due', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3000 })), { maxLength: 200 }), (ops) => {
      const q = new TimerFifo();
      const model: number[] = [];
      let clock = 0;
      let id = 0;
      for (const [push, k] of ops) {
        if (push) for (let i = 0; i < k; i++, id++) q.push(clock + 10, id, id & 7);
        if (push) for (let i = id - k; i < id; i++) model.push(i);
        else {
          clock += 10;
          while (q.due(clock)) {
            q.shift();
            assert.equal(q.slot, model.shift());
          }
          assert.equal(model.length, q.size);
        }
      }
      assert.equal(q.size, model.length);
    }), { numRuns: 50 });
  });
});

describe('UacTransactions', () => {
  const timers = { t1Ms: 500, t2Ms: 4000, timerFMs: 32_000 };
  function table(): { tx: UacTransactions; sent: Buffer[]; results: number[]; stats: Stats; start: (at: number) => number } {
    const sent: Buffer[] = [];
    const results: number[] = [];
    const stats = new Stats();
    const tx = new UacTransactions('q1x', (_sock, buf) => sent.push(buf), stats, timers);
    const tpl = new RequestTemplates({ localHost: '127.0.0.1', localPort: 5999, domain: '127.0.0.1' }, 'q1x').register('r', 60);
    const v = new HoleValues();
    const start = (at: number): number => {
      const slot = tx.begin(M_REGISTER, 0, (status) => results.push(status));
      tx.send(slot, tpl.render(v.set(slot, tx.genOf(slot), slot, 0)), at);
      return slot;
    };
    return { tx, sent, results, stats, start };
  }

  it('matches on branch and CSeq method, and ignores a late answer to an earlier use of the slot', () => {
    const { tx, sent, results, stats, start } = table();
    const view = new SipView();
    start(0);
    const first = sent[0]!;
    view.scan(answer(first));
    assert.equal(tx.onResponse(view, 2), true);
    assert.deepEqual(results, [200]);
    const again = start(3); // reuses the slot with the next generation
    assert.equal(again, 0);
    view.scan(answer(first)); // a duplicate 200 to the first use
    assert.equal(tx.onResponse(view, 4), false);
    view.scan(answer(Buffer.from(sent[1]!.toString('latin1').replace('CSeq: 1 REGISTER', 'CSeq: 1 PUBLISH'), 'latin1')));
    assert.equal(tx.onResponse(view, 4), false, 'method mismatch (RFC 3261 §17.1.3)');
    view.scan(answer(Buffer.from(sent[1]!.toString('latin1').replace('z9hG4bKq1x', 'z9hG4bKzzx'), 'latin1')));
    assert.equal(tx.onResponse(view, 4), false, 'another run or shard');
    view.scan(answer(sent[1]!, '404 Not Found'));
    assert.equal(tx.onResponse(view, 5), true);
    assert.deepEqual(results, [200, 404]);
    assert.equal(tx.inFlight, 0);
    assert.equal(stats.snapshot().responses['404'], 1);
  });

  it('retransmits on timer E (T1 doubling to T2, T2 once proceeding) and ends with 408 on timer F', () => {
    const { tx, sent, results, stats, start } = table();
    start(0);
    const times: number[] = [];
    for (let now = 0; now <= 32_000; now += 50) {
      const before = sent.length;
      tx.tick(now);
      if (sent.length > before) times.push(now);
    }
    // 500, 1500, 3500, 7500, then every 4000 until 32000 (RFC 3261 §17.1.2.2).
    assert.deepEqual(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(results, [408]);
    assert.equal(stats.timeouts, 1);
    assert.equal(stats.retransmissions, 10);

    const p = table();
    p.start(0);
    const view = new SipView();
    view.scan(answer(p.sent[0]!, '100 Trying'));
    assert.equal(p.tx.onResponse(view, 10), true);
    const at: number[] = [];
    for (let now = 0; now <= 10_000; now += 50) {
      const before = p.sent.length;
      p.tx.tick(now);
      if (p.sent.length > before) at.push(now);
    }
    assert.deepEqual(at, [500, 4500, 8500], 'proceeding: at T2');
  });

  it('abortAll ends every pending transaction as 408 and refuses new ones', () => {
    const { tx, results, start } = table();
    for (let i = 0; i < 5; i++) start(i);
    tx.abortAll();
    assert.deepEqual(results, [408, 408, 408, 408, 408]);
    assert.equal(tx.closed, true);
    assert.equal(tx.inFlight, 0);
  });
});
