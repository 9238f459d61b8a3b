// The event-package registry: the one place Allow-Events, the Accept of 415/OPTIONS and the
// owner of each package's state come from (adding a package is adding a module).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry, PackageRegistry } from '../../src/packages/registry.js';
import { presencePackage } from '../../src/packages/presence.js';
import { PRESENCE_RULES } from '../../src/actors/state-rules.js';
import { DIALOG_RULES } from '../../src/packages/dialog.js';

test('the registry: names, bodies, who holds the state, who may subscribe, pacing', () => {
  const r = buildRegistry();
  assert.equal(r.allowEvents, 'presence, presence.winfo, dialog');
  assert.equal(r.publishTypes, 'application/pidf+xml, application/dialog-info+xml');
  assert.equal(r.stateOf('presence.winfo'), 'presence', 'winfo reports the presence actor');
  assert.equal(r.stateOf('dialog'), 'dialog', 'BLF has actors of its own, keyed (dialog, AoR)');
  assert.equal(r.get('presence.winfo')!.authorization, 'self');
  assert.equal(r.get('dialog')!.authorization, 'rules');
  assert.equal(r.get('presence')!.paced, true);
  assert.equal(r.get('dialog')!.paced, false, 'BLF is never held by --notify-min-interval');
  assert.equal(r.rules('dialog'), DIALOG_RULES);
  assert.equal(r.rules('presence'), PRESENCE_RULES);
  assert.equal(r.get('message-summary'), undefined, 'unknown → 489 with Allow-Events');
  const one = new PackageRegistry([presencePackage]);
  assert.equal(one.allowEvents, 'presence');
  assert.equal(one.get('dialog'), undefined, 'a package is there only when its module is');
});
