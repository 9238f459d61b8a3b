// Every document of test/fixtures/pidf gets the handling its index.json `expect` names, when
// parsed as the body of a PUBLISH (Event: presence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parsePidf } from '../../../src/codec/pidf/parse.js';
import { readFixture, readFixtureJson } from '../../support/fixtures.js';

interface FixtureDoc {
  file: string;
  kind: string;
  content_type: string;
  expect: string;
  sha256: string;
}

const index = readFixtureJson<{ count: number; documents: FixtureDoc[] }>('pidf', 'index.json');

test('pidf fixtures: each document is accepted or refused as index.json expects', async (t) => {
  assert.equal(index.documents.length, index.count);
  for (const doc of index.documents) {
    await t.test(doc.file, () => {
      const body = readFixture('pidf', doc.file);
      assert.equal(createHash('sha256').update(body).digest('hex'), doc.sha256, 'fixture bytes changed');
      const r = parsePidf(body);
      switch (doc.expect) {
        case 'accept':
          assert.ok(r.ok, r.ok ? '' : r.reason);
          assert.ok(r.doc.entity.length > 0);
          assert.ok(r.doc.elements.some((e) => e.kind === 'tuple'));
          break;
        case '400':
          assert.equal(r.ok, false);
          assert.equal(r.ok ? 0 : r.status, 400);
          break;
        case '413':
          assert.equal(r.ok, false);
          assert.equal(r.ok ? 0 : r.status, 413);
          break;
        case '415-as-publish':
        case '415-unless-partial-supported':
          // The 415 (with Accept: application/pidf+xml) is the server's answer from the
          // Content-Type, before any parsing (RFC 3903 §6 step 5). Here we only check that the
          // body is not a PIDF presence document, so a mislabelled one would get 400.
          assert.notEqual(doc.content_type, 'application/pidf+xml');
          assert.equal(r.ok, false);
          assert.equal(r.ok ? 0 : r.status, 400);
          assert.match(r.ok ? '' : r.reason, /not a PIDF <presence>/);
          break;
        case 'accept-or-400':
          // Our policy (RFC 3863 §4): a composing server must understand mustUnderstand
          // extensions, so an unknown one is refused.
          assert.equal(r.ok, false);
          assert.equal(r.ok ? 0 : r.status, 400);
          assert.match(r.ok ? '' : r.reason, /mustUnderstand/);
          break;
        default:
          assert.fail(`unknown expectation '${doc.expect}'`);
      }
      // How fast hostile documents are refused is a benchmark (bench/codec/pidf-parse.bench.ts),
      // not a test: a busy machine must not fail the suite.
      if (doc.kind === 'security') assert.equal(r.ok, false);
    });
  }
});
