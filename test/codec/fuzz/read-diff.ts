// The differential check between the hot path (scan.ts readMessage + response-writer.ts) and
// the reference (parse.ts + request-gate.ts + serialize.ts), shared by the fixture tests, the
// fast-check properties and the long fuzz run. `compareRead` asserts that both read the same
// datagram the same way: same outcome and gate, same values per header id and by name, same
// body, same top Via, and the same response bytes.
import assert from 'node:assert/strict';
import { isKeepAlive, parseSipMessage } from '../../../src/codec/sip/parse.js';
import { gateRequest } from '../../../src/codec/sip/request-gate.js';
import { getHeader, getHeaderLines, getHeaderValues, parseCSeq } from '../../../src/codec/sip/headers.js';
import { splitCommaList } from '../../../src/codec/sip/params.js';
import { serializeResponse } from '../../../src/codec/sip/serialize.js';
import { responseTarget, parseVia } from '../../../src/codec/sip/via.js';
import { tagOf } from '../../../src/codec/sip/name-addr.js';
import { HDR, HDR_NAME } from '../../../src/codec/sip/header-ids.js';
import type { SipMsg } from '../../../src/codec/sip/msg.js';
import { isPlainAscii } from '../../../src/codec/sip/grammar-bytes.js';
import { readMessage, scanMessage, type Read } from '../../../src/codec/sip/scan.js';
import { formatHeaderLines, writeResponse } from '../../../src/codec/sip/response-writer.js';
import { responseDestination } from '../../../src/codec/sip/response-via.js';
import type { SipHeader, SipMessage } from '../../../src/codec/sip/types.js';
import { reasonFor } from '../../../src/errors.js';
import { PRODUCT } from '../../../src/version.js';

export const SUPPORTED = ['path', 'outbound'];
export const SOURCES = [
  { address: '192.0.2.7', port: 40123, family: 4 as const },
  { address: '2001:db8::7', port: 5062, family: 6 as const },
];

export interface DiffStats { scanned: number; fallback: number; bad: number; keepalive: number; bytesCompared: number }

export function newStats(): DiffStats {
  return { scanned: 0, fallback: 0, bad: 0, keepalive: 0, bytesCompared: 0 };
}

/** Via lines as the canonical form writes them: a line with a comma split into its via-parms. */
export function viaLines(headers: readonly SipHeader[]): string[] {
  const out: string[] = [];
  for (const h of headers) {
    if (h.name !== 'Via') continue;
    if (!h.value.includes(',')) out.push(h.value);
    else {
      const parts = splitCommaList(h.value);
      out.push(...(parts.length === 0 ? [h.value] : parts));
    }
  }
  return out;
}

/** The reference message with its Vias one per line (what the canonical form holds). */
function withSplitVias(headers: readonly SipHeader[]): SipHeader[] {
  const out: SipHeader[] = [];
  let vias: string[] | null = null;
  for (const h of headers) {
    if (h.name !== 'Via') out.push(h);
    else if (vias === null) {
      vias = viaLines(headers);
      for (const v of vias) out.push({ name: 'Via', value: v });
    }
  }
  return out;
}

const LIST_IDS = [HDR.Contact, HDR.Accept, HDR.Supported, HDR.Require, HDR.ProxyRequire, HDR.AllowEvents, HDR.Route, HDR.RecordRoute, HDR.ContentEncoding];

function compareHeaders(ctx: string, m: SipMsg, headers: readonly SipHeader[]): void {
  const ref = { headers };
  assert.deepEqual(m.linesOf(HDR.Via), viaLines(headers), `${ctx}: Via lines`);
  for (let id = 2; id < HDR_NAME.length; id++) {
    assert.deepEqual(m.linesOf(id as never), getHeaderLines(ref, HDR_NAME[id]!), `${ctx}: lines of ${HDR_NAME[id]}`);
    assert.equal(m.byName(HDR_NAME[id]!), getHeader(ref, HDR_NAME[id]!), `${ctx}: byName ${HDR_NAME[id]}`);
  }
  for (const id of LIST_IDS) assert.deepEqual(m.values(id), getHeaderValues(ref, HDR_NAME[id]!), `${ctx}: values of ${HDR_NAME[id]}`);
  assert.equal(m.byName('Via'), viaLines(headers)[0], `${ctx}: byName Via`);
  for (const h of headers) {
    if (h.name === 'Via') continue;
    assert.equal(m.byName(h.name), getHeader(ref, h.name), `${ctx}: byName ${h.name}`);
    assert.equal(m.byName(h.name.toLowerCase()), getHeader(ref, h.name), `${ctx}: byName ${h.name.toLowerCase()}`);
  }
  let vias = 0;
  for (const h of headers) if (h.name === 'Via') vias++;
  let others = 0;
  for (let i = 0; i < m.count; i++) if (m.lines[i * 4] !== HDR.Via) others++;
  assert.equal(others, headers.length - vias, `${ctx}: line count`);
}

function compareDerived(ctx: string, m: SipMsg, ref: SipMessage): void {
  const top = getHeaderValues(ref, 'Via')[0];
  const via = top === undefined ? null : parseVia(top);
  const tv = m.topVia;
  assert.equal(tv === null, via === null, `${ctx}: topVia null-ness`);
  if (via !== null && tv !== null) {
    assert.equal(tv.transport, via.transport, ctx);
    assert.equal(tv.host, via.host, ctx);
    assert.equal(tv.port, via.port, ctx);
    assert.equal(tv.branch, via.params.get('branch') ?? '', ctx);
    assert.equal(tv.rport, via.params.has('rport'), ctx);
  }
  assert.equal(m.callId, getHeader(ref, 'Call-ID') ?? '', ctx);
  const cseq = parseCSeq(getHeader(ref, 'CSeq') ?? '');
  if (cseq !== null) {
    assert.equal(m.cseq, cseq.seq, `${ctx}: cseq`);
    assert.equal(m.cseqMethod, cseq.method, `${ctx}: cseq method`);
  }
  const from = getHeader(ref, 'From');
  if (from !== undefined && tagOf(from) !== null) assert.equal(m.fromTag, tagOf(from), `${ctx}: from tag`);
  const to = getHeader(ref, 'To');
  if (to !== undefined && tagOf(to) !== null) assert.equal(m.toTag, tagOf(to), `${ctx}: to tag`);
  assert.deepEqual(Buffer.from(m.body), Buffer.from(ref.body), `${ctx}: body`);
}

function validUtf8Everywhere(m: SipMsg): boolean {
  for (let i = 0; i < m.count; i++) {
    const s = m.lines[i * 4 + 2]!;
    const e = m.lines[i * 4 + 3]!;
    const v = m.buf.subarray(s, e);
    if (!Buffer.from(v.toString('utf8'), 'utf8').equals(v)) return false;
  }
  return true;
}

/** writeResponse on the new message equals serializeResponse on the reference (Vias one per line). */
export function compareResponse(ctx: string, m: SipMsg, refHeaders: readonly SipHeader[], status: number, reason: string | undefined, extra: SipHeader[], stats: DiffStats): void {
  const body = status === 200 ? '<x/>' : undefined;
  for (const src of SOURCES) {
    const mine = writeResponse(m, src, {
      status, ...(reason !== undefined ? { reason } : {}), toTag: 'tg9',
      headers: formatHeaderLines(extra),
      ...(body !== undefined ? { body, contentType: 'application/x' } : {}),
    });
    const ref = serializeResponse({ headers: withSplitVias(refHeaders) }, status, reason ?? reasonFor(status), {
      toTag: 'tg9', viaReceived: { ip: src.address, port: src.port }, extraHeaders: extra, server: PRODUCT,
      ...(body !== undefined ? { body, contentType: 'application/x' } : {}),
    });
    if (validUtf8Everywhere(m)) {
      assert.equal(mine.toString('latin1'), ref.toString('latin1'), `${ctx}: response bytes`);
      stats.bytesCompared++;
    } else {
      // Copied octets that are not UTF-8: serializeResponse re-encodes them, we copy them. Same
      // values once each side is decoded the way the parser decodes.
      const a = parseSipMessage(mine);
      const b = parseSipMessage(ref);
      assert.ok(a.ok && b.ok, `${ctx}: both responses parse`);
      assert.deepEqual(a.msg.headers, b.msg.headers, `${ctx}: response headers`);
    }
    const dest = responseDestination(m, src);
    const top = getHeaderValues({ headers: refHeaders }, 'Via')[0];
    const via = top === undefined ? null : parseVia(top);
    const t = via === null ? { host: src.address, port: src.port } : responseTarget(via, src.address, src.port);
    assert.deepEqual({ address: dest.address, port: dest.port }, { address: t.host, port: t.port }, `${ctx}: destination`);
  }
}

/** Asserts readMessage(buf) agrees with the reference path; returns what it read. */
export function compareRead(ctx: string, buf: Buffer, stats: DiffStats, maxSize = 65507): Read {
  const opts = { maxSize, supported: SUPPORTED };
  const got = readMessage(buf, opts);
  if (isKeepAlive(buf)) {
    assert.equal(got.t, 'keepalive', ctx);
    stats.keepalive++;
    return got;
  }
  const ref = parseSipMessage(buf, { maxSize });
  if (!ref.ok) {
    assert.equal(got.t, 'bad', `${ctx}: outcome (${ref.reason})`);
    assert.ok(got.t === 'bad');
    assert.deepEqual([got.status, got.reason, got.drop], [ref.status, ref.reason, ref.drop], `${ctx}: failure`);
    stats.bad++;
    if (ref.partial.length === 0) assert.equal(got.partial, null, ctx);
    else {
      assert.ok(got.partial !== null, ctx);
      compareHeaders(`${ctx} partial`, got.partial, ref.partial);
      if (!ref.drop) compareResponse(`${ctx} partial`, got.partial, ref.partial, ref.status, ref.reason, [], stats);
    }
    return got;
  }
  const msg = ref.msg;
  assert.equal(got.t, msg.kind === 'request' ? 'req' : 'res', ctx);
  assert.ok(got.t === 'req' || got.t === 'res');
  const m = got.msg;
  if (m.rewritten) stats.fallback++;
  else stats.scanned++;
  assert.equal(scanMessage(buf, maxSize) !== null, !m.rewritten, `${ctx}: path`);
  if (m.plainAscii) {
    for (let i = 0; i < m.count; i++) assert.ok(isPlainAscii(m.buf, m.lines[i * 4 + 2]!, m.lines[i * 4 + 3]!), `${ctx}: plainAscii line ${i}`);
    if (m.uriStart >= 0) assert.ok(isPlainAscii(m.buf, m.uriStart, m.uriStart + m.uri.length), `${ctx}: plainAscii uri`);
  }
  compareHeaders(ctx, m, msg.headers);
  compareDerived(ctx, m, msg);
  if (msg.kind === 'response') {
    assert.equal(m.isRequest, false, ctx);
    assert.equal(m.status, msg.status, ctx);
    return got;
  }
  assert.ok(got.t === 'req');
  assert.equal(m.method, msg.method, ctx);
  assert.equal(m.uri, msg.uri, ctx);
  assert.equal(m.buf.toString('latin1', m.uriStart, m.uriStart + m.uri.length), msg.uri, `${ctx}: uriStart`);
  const gate = gateRequest(msg, { supportedExtensions: SUPPORTED });
  assert.deepEqual(got.gate, gate, `${ctx}: gate`);
  if (gate === null) compareResponse(ctx, m, msg.headers, 200, undefined, [{ name: 'Expires', value: '60' }], stats);
  else if (gate.status !== 0) compareResponse(ctx, m, msg.headers, gate.status, gate.reason, gate.headers, stats);
  return got;
}
