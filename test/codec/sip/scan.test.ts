// The scanner against the reference path over every fixture: RFC 4475 / RFC 5118 torture
// messages and the real client captures. Same outcome, gate, header values, body and response
// bytes (test/codec/fuzz/read-diff.ts says exactly what is compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { compareRead, newStats } from '../fuzz/read-diff.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

function files(...dir: string[]): string[] {
  return readdirSync(fixturePath(...dir)).filter((f) => f.endsWith('.dat') || f.endsWith('.sip')).sort();
}

test('torture fixtures (RFC 4475, RFC 5118): readMessage agrees with parse + gate + serialize', () => {
  const stats = newStats();
  for (const dir of ['torture', 'torture-ipv6']) {
    for (const f of files(dir)) compareRead(`${dir}/${f}`, readFixture(dir, f), stats);
  }
  // Which path each file takes is deterministic: a change here is a change of the scanner's
  // scope (folding, comma-joined Vias and compact Subject go to the fallback; 11 refused).
  assert.deepEqual({ scanned: stats.scanned, fallback: stats.fallback, bad: stats.bad }, { scanned: 46, fallback: 5, bad: 11 });
  assert.ok(stats.bytesCompared > 80, `byte-compared responses ${stats.bytesCompared}`);
});

test('client captures: every message takes the scan path and agrees with the reference', () => {
  const stats = newStats();
  for (const dir of ['linphonec', 'liblinphone-lpresence', 'baresip']) {
    for (const f of files('clients', dir)) {
      const got = compareRead(`${dir}/${f}`, readFixture('clients', dir, f), stats);
      if (got.t === 'req' || got.t === 'res') {
        assert.equal(got.msg.rewritten, false, `${dir}/${f} took the fallback`);
        assert.equal(got.msg.plainAscii, true, `${dir}/${f} is plain ASCII`);
      }
    }
  }
  assert.equal(stats.scanned, 35);
  assert.equal(stats.keepalive, 1);
  assert.equal(stats.fallback, 0);
});
