// The compact strings a dialog keeps: flat copies equal to what they copy (any UTF-16 content,
// lone surrogates included), known event names and repeated sources shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Interner, flat, internEvent } from '../../src/actors/strings.js';

test('flat() returns the same characters, whatever they are', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.nat(8), (s, cut) => {
    const sliced = s.slice(Math.min(cut, s.length));
    const joined = `<${sliced}>`;
    assert.equal(flat(sliced), sliced);
    assert.equal(flat(joined), joined);
  }));
  assert.equal(flat(''), '');
  assert.equal(flat('\ud800x\udfff'), '\ud800x\udfff');
});

test('internEvent() shares the known package names and copies the others', () => {
  const e = ['pre', 'sence'].join('');
  assert.equal(internEvent(e), 'presence');
  assert.equal(internEvent('x-custom'), 'x-custom');
});

test('the interner hands back one copy per distinct source', () => {
  const i = new Interner();
  const a = i.get(['127.0.0.1', '5060'].join(' '));
  const b = i.get(['127.0.0.1', '5060'].join(' '));
  assert.equal(a, '127.0.0.1 5060');
  assert.equal(b, a);
  assert.equal(i.get('::1 5061'), '::1 5061');
});
