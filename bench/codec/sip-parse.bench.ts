// parseSipMessage on each request kind a presence server sees from Linphone (REGISTER, PUBLISH
// with PIDF, SUBSCRIBE, the 200 to our NOTIFY), the gate on a parsed request, and
// serializeResponse of a 200 to REGISTER. Fixtures are the raw captured datagrams.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printBench } from '../support/report.js';
import { Bench } from 'tinybench';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import { gateRequest } from '../../src/codec/sip/request-gate.js';
import { serializeResponse } from '../../src/codec/sip/serialize.js';
import type { SipRequest } from '../../src/codec/sip/types.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function linphone(root: string, file: string): Buffer {
  return readFileSync(join(root, 'test', 'fixtures', 'clients', 'linphonec', file));
}

function request(buf: Buffer): SipRequest {
  const r = parseSipMessage(buf);
  if (!r.ok || r.msg.kind !== 'request') throw new Error('bench fixture did not parse as a request');
  return r.msg;
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const register = linphone(root, '01-REGISTER.sip');
  const publish = linphone(root, '02-PUBLISH-initial.sip');
  const subscribe = linphone(root, '03-SUBSCRIBE.sip');
  const notify200 = linphone(root, '04-NOTIFY-200-response.sip');
  const regReq = request(register);
  const subReq = request(subscribe);
  const opts = { toTag: 'a1b2c3d4', viaReceived: { ip: '127.0.0.1', port: 25071 }, server: 'ComSIPL/0.1.0', extraHeaders: [{ name: 'Expires', value: '30' }] };
  const gateOpts = { supportedExtensions: ['path', 'outbound'] };

  const bench = new Bench({ name: 'sip-parse', time: 500, warmupTime: 100 });
  bench
    .add('noop (avoid JIT bias)', () => {})
    .add(`parse REGISTER (${register.length} B)`, () => { parseSipMessage(register); })
    .add(`parse PUBLISH (${publish.length} B)`, () => { parseSipMessage(publish); })
    .add(`parse SUBSCRIBE (${subscribe.length} B)`, () => { parseSipMessage(subscribe); })
    .add(`parse 200 to NOTIFY (${notify200.length} B)`, () => { parseSipMessage(notify200); })
    .add('gateRequest SUBSCRIBE', () => { gateRequest(subReq, gateOpts); })
    .add('serializeResponse 200 REGISTER', () => { serializeResponse(regReq, 200, 'OK', opts); });
  await bench.run();

  printBench(bench);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
