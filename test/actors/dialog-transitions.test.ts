// The presentity transitions with the dialog package's rules (RFC 4235) and member watchers
// (RFC 4662 internal watchers), without a socket: a dialog's state never goes back, the memory
// behind it is undone with a failed batch, and watchers are told the state at commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresentityState, type MemberWatcher } from '../../src/actors/presentity-state.js';
import { PresBatch } from '../../src/actors/presentity-batch.js';
import { step, type PresMsg } from '../../src/actors/presentity-transitions.js';
import { DIALOG_RULES, DIALOG_MEMORY_MS } from '../../src/packages/dialog.js';
import { parseDialogInfo } from '../../src/codec/dialog-info/parse.js';
import type { DialogInfoDocument } from '../../src/codec/dialog-info/types.js';
import type { ReplyTo, ResponseSpec } from '../../src/core/reply.js';

const AOR = 'sip:1001@pbx';
const CFG = { notifyTimeout: 'end' as const };
const rt = (): ReplyTo & { got: ResponseSpec[] } => {
  const got: ResponseSpec[] = [];
  return { got, reply: (s) => got.push(s) };
};
const di = (dialogs: [string, string][]): DialogInfoDocument => {
  const r = parseDialogInfo(Buffer.from(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${AOR}">${dialogs.map(([id, s]) => `<dialog id="${id}"><state>${s}</state></dialog>`).join('')}</dialog-info>`));
  assert.ok(r.ok);
  return r.doc;
};
function run(s: PresentityState, ...msgs: PresMsg[]): PresBatch {
  const b = new PresBatch(s);
  for (const m of msgs) step(s, b, m, CFG);
  return b;
}
const publish = (etag: string, doc: DialogInfoDocument, now: number, ifMatch: string | null = null, expires = 60): PresMsg => ({ t: 'publish', rt: rt(), now, ifMatch, etag, expires, doc });
const dialogsOf = (s: PresentityState) => [...s.pubs!.values()].flatMap((p) => (p.rec.doc as DialogInfoDocument).dialogs.map((d) => `${d.id}:${d.state}`)).sort();

test('an early published after terminated for the same dialog (another publisher, ms later) is dropped; the publication itself is accepted', () => {
  const s = new PresentityState(AOR, new Map(), DIALOG_RULES);
  const b1 = run(s, publish('a', di([['call', 'terminated']]), 1000));
  assert.equal(b1.ops[0]!.t, 'putPub');
  assert.equal((b1.ops[0] as { rec: { event?: string } }).rec.event, 'dialog', 'stored as a dialog publication');
  const b2 = run(s, publish('b', di([['call', 'early'], ['other', 'early']]), 1003));
  assert.equal(b2.replies[0]![1].status, 200);
  assert.deepEqual(dialogsOf(s), ['call:terminated', 'other:early']);
  // Even after the terminated publication is gone, the early does not come back.
  run(s, publish('c', di([]), 1004, 'a', 0));
  run(s, publish('d', di([['call', 'confirmed']]), 2000));
  assert.deepEqual(dialogsOf(s), ['other:early']);
  // Forward moves pass (early → confirmed → terminated), and the memory ends after its time.
  run(s, publish('e', di([['other', 'confirmed']]), 2001, 'b'));
  assert.deepEqual(dialogsOf(s), ['other:confirmed']);
  run(s, publish('f', di([['call', 'early']]), 1003 + DIALOG_MEMORY_MS + 1));
  assert.ok(dialogsOf(s).includes('call:early'), 'a dialog id may be seen again after the memory expired');
});

test('a failed batch undoes the ordering memory too', () => {
  const s = new PresentityState(AOR, new Map(), DIALOG_RULES);
  const b = run(s, publish('a', di([['x', 'terminated']]), 1000));
  b.undo();
  assert.equal(s.memo?.size ?? 0, 0);
  run(s, publish('b', di([['x', 'early']]), 1001));
  assert.deepEqual(dialogsOf(s), ['x:early']);
});

test('member watchers: added and removed by message, told at commit, keep the actor from passivating', () => {
  const s = new PresentityState(AOR, new Map(), DIALOG_RULES);
  const w: MemberWatcher = { report: () => undefined };
  const b = run(s, { t: 'watch', w });
  assert.deepEqual(b.inform, [w]);
  assert.equal(s.empty, false);
  assert.deepEqual(run(s, { t: 'watch', w }).inform, [], 'a second watch is a no-op');
  run(s, { t: 'unwatch', w });
  assert.equal(s.empty, true);
  const b2 = run(s, { t: 'watch', w });
  b2.undo();
  assert.equal(s.empty, true, 'undone');
});
