// The load generator's own work per request, without sockets: render a REGISTER from its
// template, read a 200 with the byte scanner, and a whole client transaction (begin, render,
// send to a no-op, match the answer, record the latency). What remains per request on the
// wire is Node's UDP send and receive, measured by generator.bench.ts.
import { Bench } from 'tinybench';
import { respond, OK_200 } from '../../src/load/messages.js';
import { RequestTemplates } from '../../src/load/requests.js';
import { M_REGISTER, SipView } from '../../src/load/sip-view.js';
import { Stats } from '../../src/load/stats.js';
import { HoleValues } from '../../src/load/template.js';
import { UacTransactions } from '../../src/load/uac-transaction.js';
import { isMain, printBench } from '../support/report.js';

/** What the trivial responder does: "SIP/2.0 200 OK" followed by the request's own headers. */
function answer(req: Buffer): Buffer {
  const eol = req.indexOf('\r\n');
  return Buffer.concat([Buffer.from('SIP/2.0 200 OK', 'latin1'), req.subarray(eol)]);
}

export async function run(): Promise<void> {
  const templates = new RequestTemplates({ localHost: '127.0.0.1', localPort: 5999, domain: '127.0.0.1' }, 'b3nchx');
  const register = templates.register('r', 3600);
  const values = new HoleValues();
  const view = new SipView();
  const response = answer(register.render(values.set(1, 2, 3, 0)));
  const notify = Buffer.from(
    'NOTIFY sip:w@127.0.0.1:5999 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKn1\r\nMax-Forwards: 70\r\n' +
      'From: <sip:s@127.0.0.1>;tag=srv1\r\nTo: <sip:w@127.0.0.1>;tag=b3nchx000001000002\r\nCall-ID: b3nchx000001000002@load\r\n' +
      'CSeq: 2 NOTIFY\r\nContact: <sip:127.0.0.1:5060>\r\nEvent: presence\r\nSubscription-State: active;expires=3600\r\n' +
      'Content-Type: application/pidf+xml\r\nContent-Length: 0\r\n\r\n',
    'latin1',
  );
  const tx = new UacTransactions('b3nchx', () => undefined, new Stats());
  const done = (): void => undefined;
  let clock = 0;
  const bench = new Bench({ name: 'load generator hot path', time: 500, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  bench.add('render REGISTER (template)', () => { register.render(values.set(7, 8, 9, 0)); });
  bench.add('scan a 200 (SipView)', () => { view.scan(response); });
  bench.add('scan a NOTIFY + build its 200', () => { view.scan(notify); respond(view, OK_200); });
  bench.add('transaction: render, send, match 200', () => {
    const slot = tx.begin(M_REGISTER, 0, done);
    const buf = register.render(values.set(slot, tx.genOf(slot), slot, 0));
    tx.send(slot, buf, clock++);
    view.scan(answer(buf));
    tx.onResponse(view, clock);
    if ((clock & 1023) === 0) tx.tick(clock); // timers of finished transactions are skipped
  });
  bench.add('  of which the responder\'s copy', () => { answer(response); });
  await bench.run();
  printBench(bench);
}

if (isMain(import.meta.url)) await run();
