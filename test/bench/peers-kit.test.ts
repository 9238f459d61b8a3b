// The peer kit's pure parts (bench/peers/): SIPp CSV rows and per-second rates, the dialog log
// of subscribe-only.xml, SIPp's error summary, the options and the markdown table. Running the
// kit itself needs sipp and kamailio and is a manual benchmark (bench/README.md).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { median, ratesPerSecond, readRows, valueAt } from '../../bench/peers/counts.js';
import { parseOptions } from '../../bench/peers/options.js';
import type { RecordLine } from '../../bench/peers/record.js';
import { markdownTable } from '../../bench/peers/report.js';
import { parseDialogLog } from '../../bench/peers/sip-udp.js';
import { errorSummary, isClean } from '../../bench/peers/steps.js';

const dir = mkdtempSync(join(tmpdir(), 'peers-kit-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SIPp counters', () => {
  const file = join(dir, 'x_1_counts.csv');
  writeFileSync(file, [
    'CurrentTime;ElapsedTime;2_NOTIFY_Recv;5_NOTIFY_Recv;5_NOTIFY_Retrans;',
    '2026-12-02\t14:40:10.0\t100.0;00:00:00:000000;0;0;0;',
    '2026-12-02\t14:40:11.0\t101.0;00:00:01:000000;10;100;1;',
    '2026-12-02\t14:40:12.0\t102.0;00:00:02:000000;10;300;1;',
    '2026-12-02\t14:40:13.0\t103.0;00:00:03',
  ].join('\n'));

  it('reads the rows with their epoch time and skips a row cut short', () => {
    const rows = readRows(file);
    assert.equal(rows.length, 3);
    assert.equal(rows[1]!.t, 101);
    assert.equal(rows[2]!.cols['5_NOTIFY_Recv'], 300);
  });

  it('interpolates a cumulative series and gives per-second rates and their median', () => {
    const rows = readRows(file);
    const notify = (t: number): number => valueAt(rows, /_NOTIFY_Recv$/, t);
    assert.equal(notify(101.5), 210);
    assert.equal(notify(99), 0);
    assert.equal(notify(200), 310);
    assert.deepEqual(ratesPerSecond([notify, () => 5], 100, 102), [110, 200]);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('dialog log and SIPp errors', () => {
  it('keeps only complete dialog lines', () => {
    const d = parseDialogLog('12-9@127.0.0.1;9W12;abc;sip:p@127.0.0.1:5060;p1;p1w0;;x\nbroken;line\n;;;;;;\n');
    assert.deepEqual(d, [{ callId: '12-9@127.0.0.1', fromTag: '9W12', toTag: 'abc', target: 'sip:p@127.0.0.1:5060', presentity: 'p1', watcher: 'p1w0' }]);
  });

  it('counts unexpected answers by status and other errors without their call ids', () => {
    writeFileSync(join(dir, 'y_2_errors.log'), [
      "2026-12-02\t14:46:04.3\t1796.1: Aborting call on unexpected message for Call-Id '1-2@h': while expecting '200' (index 3), received 'SIP/2.0 503 Service Unavailable",
      'Via: x',
      "'2026-12-02\t14:46:04.4\t1796.2: Aborting call on unexpected message for Call-Id '3-2@h': while expecting '200' (index 3), received 'SIP/2.0 503 Service Unavailable",
      "'",
      '2026-12-02\t14:46:05.0\t1797.0: Automatic response mode for an unexpected NOTIFY for call: 20-2@h',
    ].join('\n'));
    assert.deepEqual(errorSummary(dir), {
      'expected 200, got SIP/2.0 503 Service Unavailable': 2,
      'Automatic response mode for an unexpected NOTIFY for call: …': 1,
    });
  });

  it('calls a step clean below 0.1 % failures and retransmissions', () => {
    assert.equal(isClean(10_000, 9, 9), true);
    assert.equal(isClean(10_000, 10, 0), false);
    assert.equal(isClean(10, 0, 1), false);
  });
});

describe('options', () => {
  it('defaults to the issue and refuses what it does not know', () => {
    const o = parseOptions([]);
    assert.deepEqual(o.memoryShapes, [[1000, 100], [100_000, 1]]);
    assert.equal(o.fanout.offered, 30_000);
    assert.equal(o.stepSeconds, 8);
    assert.throws(() => parseOptions(['--only', 'nope']));
    assert.throws(() => parseOptions(['--memory', '10by10']));
    assert.throws(() => parseOptions(['--step-seconds', '0']));
  });

  it('--quick shrinks everything and explicit options still win', () => {
    const o = parseOptions(['--quick', '--fanout', '5x5', '--max', 'comsipl.register=900']);
    assert.equal(o.stepSeconds, 3);
    assert.deepEqual([o.fanout.presentities, o.fanout.watchers], [5, 5]);
    assert.deepEqual(o.knownMax, { register: { comsipl: 900 } });
  });
});

describe('markdown table', () => {
  const line = (server: string, scenario: string, figures: Record<string, unknown>, params: Record<string, unknown> = {}): RecordLine => ({
    server, scenario, params, figures, date: '', commit: '', run: '', loadBefore: [0, 0, 0], loadAfter: [0, 0, 0], seconds: 0, env: {},
  });

  it('prints the rows that were measured, with ratios', () => {
    const t = markdownTable([
      line('comsipl', 'max-rate:register', { maxRate: 10_500 }),
      line('kamailio', 'max-rate:register', { maxRate: 18_000, lowerBound: true }),
      line('comsipl', 'memory:1000x100', { headline: { bytesPerSubscription: 5720 } }),
      line('kamailio', 'memory:1000x100', { headline: { bytesPerSubscription: 1901 } }),
      line('comsipl', 'restart:100000', { msToAnswer: 2300, allRestored: true, refreshSample: 200, refreshByStatus: { 200: 200 } }),
      line('kamailio', 'restart:100000', { msToAnswer: 400, allRestored: false, refreshSample: 200, refreshByStatus: { 481: 200 } }),
    ]);
    assert.match(t, /\| REGISTER \| 10,500\/s \| ≥ 18,000\/s \| 0\.58× \| ≥ 1\.2× \|/);
    assert.match(t, /100,000 held \(1,000 × 100\) \| 5,720 B \| 1,901 B ¹ \| 3\.0× more/);
    assert.match(t, /\| 2\.30 s, all restored \| 0\.40 s, loses all \|/);
    assert.doesNotMatch(t, /PUBLISH/);
  });
});
