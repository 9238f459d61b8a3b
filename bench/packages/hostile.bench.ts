// How fast the new XML bodies are refused (and what a good one costs, for scale): dialog-info
// (PUBLISH Event: dialog) and resource-lists (a list in the SUBSCRIBE, RFC 5367), each hostile
// shape the issue names — entity expansion, deep nesting, huge lists, a list containing itself —
// and a deflate bomb for the list's Content-Encoding. Every refusal is a bounded byte scan or a
// capped inflate: none grows with what the attacker asks for.
import { Bench } from 'tinybench';
import { deflateSync, inflateSync } from 'node:zlib';
import { parseDialogInfo } from '../../src/codec/dialog-info/parse.js';
import { parseResourceLists } from '../../src/codec/resource-lists/parse.js';
import { printBench, isMain } from '../support/report.js';

const NS_DI = 'urn:ietf:params:xml:ns:dialog-info';
const NS_RL = 'urn:ietf:params:xml:ns:resource-lists';
const di = (inner: string) => Buffer.from(`<?xml version="1.0"?><dialog-info xmlns="${NS_DI}" version="1" state="full" entity="sip:x@y">${inner}</dialog-info>`);
const rl = (inner: string) => Buffer.from(`<?xml version="1.0"?><resource-lists xmlns="${NS_RL}"><list>${inner}</list></resource-lists>`);
const LIST_OPTS = { maxBytes: 1 << 20, maxDepth: 16, maxEntries: 5000, isLoop: (u: string) => u === 'sip:rls@y' };

export async function run(): Promise<void> {
  const laughs = Buffer.from(`<?xml version="1.0"?><!DOCTYPE d [${Array.from({ length: 10 }, (_, i) => `<!ENTITY l${i} "${i === 0 ? 'lol' : `&l${i - 1};`.repeat(10)}">`).join('')}]><dialog-info xmlns="${NS_DI}" entity="sip:x@y">&l9;</dialog-info>`);
  const deep = di(`<dialog id="a"><state>early</state>${'<x>'.repeat(50_000)}${'</x>'.repeat(50_000)}</dialog>`);
  const manyDialogs = di(Array.from({ length: 5000 }, (_, i) => `<dialog id="d${i}"><state>early</state></dialog>`).join(''));
  const good = di('<dialog id="c1" call-id="c1@pbx" local-tag="l" remote-tag="r" direction="recipient"><state>early</state><remote><identity>sip:caller@y</identity><target uri="sip:caller@10.0.0.1"/></remote></dialog>');
  const hugeList = rl(Array.from({ length: 20_000 }, (_, i) => `<entry uri="sip:u${i}@y"/>`).join(''));
  const goodList = rl(Array.from({ length: 100 }, (_, i) => `<entry uri="sip:u${i}@y"/>`).join(''));
  const selfList = rl('<entry uri="sip:a@y"/><entry uri="sip:rls@y"/>');
  const deepList = Buffer.from(`<resource-lists xmlns="${NS_RL}">${'<list>'.repeat(50_000)}${'</list>'.repeat(50_000)}</resource-lists>`);
  const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
  const sizes = `billion laughs ${laughs.length} B, deep ${deep.length} B, huge list ${hugeList.length} B, deflate bomb ${bomb.length} B → 64 MiB`;
  const expect = (what: string, ok: boolean): void => {
    if (!ok) throw new Error(`${what}: not refused as expected`);
  };
  expect('laughs', !parseDialogInfo(laughs).ok);
  expect('huge list', !parseResourceLists(hugeList, LIST_OPTS).ok);
  const bench = new Bench({ name: `hostile bodies (${sizes})`, time: 400, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  bench.add('dialog-info: a good 1-dialog document', () => { parseDialogInfo(good); });
  bench.add('dialog-info: billion laughs (DOCTYPE) → 400', () => { parseDialogInfo(laughs); });
  bench.add('dialog-info: 50,000-deep nesting → 400', () => { parseDialogInfo(deep); });
  bench.add('dialog-info: 5,000 dialogs → 400', () => { parseDialogInfo(manyDialogs); });
  bench.add('resource-lists: a good 100-entry list', () => { parseResourceLists(goodList, LIST_OPTS); });
  bench.add('resource-lists: 20,000 entries → 413', () => { parseResourceLists(hugeList, LIST_OPTS); });
  bench.add('resource-lists: contains itself → 400', () => { parseResourceLists(selfList, LIST_OPTS); });
  bench.add('resource-lists: 50,000-deep → 400', () => { parseResourceLists(deepList, LIST_OPTS); });
  bench.add('deflate bomb, inflate capped at 1 MiB → 413', () => {
    try {
      inflateSync(bomb, { maxOutputLength: 1024 * 1024 });
    } catch {
      /* ERR_BUFFER_TOO_LARGE: the 413 */
    }
  });
  await bench.run();
  printBench(bench, 48);
}

if (isMain(import.meta.url)) await run();
