// The byte twins of grammar-bytes.ts against the string parsers they stand for: for plain-ASCII
// input each twin accepts exactly what its twin accepts and reports the same facts. Inputs are
// random strings over the characters the grammars care about, and real values from the corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseParams } from '../../../src/codec/sip/params.js';
import { parseUri } from '../../../src/codec/sip/uri.js';
import { parseNameAddr } from '../../../src/codec/sip/name-addr.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import {
  NA, nameAddrCheck, paramsCheck, uriKind, V, viaCheck, URI_BAD, URI_OTHER, URI_SIP, URI_SIP_HEADERS,
} from '../../../src/codec/sip/grammar-bytes.js';
import { CORPUS } from '../fuzz/sip-fuzz.js';

const PIECES = [
  'sip:', 'sips:', 'SIP:', 'tel:', 'urn:x', '<', '>', '"', '\\', ';', '=', ',', '@', ':', '[', ']', '?', '&', '%', '%41', '%4', '%zz',
  ' ', '\t', '  ', 'a', 'Z', '0', '9', '-', '.', '_', '~', '!', '*', '+', '$', '/', "'", '(', ')', 'tag', 'TAG', 'branch', 'rport',
  'received', 'SIP/2.0/UDP ', 'SIP / 2.0 / TCP ', 'SIP/2.0/UDP', 'host', 'Host.Example.COM', '1.2.3.4', '[::1]', '[2001:db8::1]',
  '[]', ':5060', ':99999', ':0', 'user', 'alice', 'z9hG4bK', ';tag=', ';branch=', ';rport', ';received=', ';lr', '"Bob"', '"a\\"b"',
  ';expires=60', ';q=0.5', 'transport=udp', '+sip.instance="<urn:uuid:1>"',
];

const textArb = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((a) => a.join(''));

function corpusValues(): string[] {
  const out = new Set<string>();
  for (const buf of CORPUS) {
    const r = parseSipMessage(buf);
    if (!r.ok) continue;
    for (const h of r.msg.headers) {
      if (!['Via', 'From', 'To', 'Contact', 'Route', 'Record-Route'].includes(h.name)) continue;
      if (/^[\x20-\x7e\t]*$/.test(h.value)) out.add(h.value);
    }
    if (r.msg.kind === 'request' && /^[\x20-\x7e]*$/.test(r.msg.uri)) out.add(r.msg.uri);
  }
  return [...out];
}
const REAL = corpusValues();

const pick = (...xs: string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);
const paramArb = fc.tuple(pick(';', ' ;', '; ', ';;'), pick('branch', 'rport', 'received', 'tag', 'x', 'BRANCH', 'maddr', ''),
  fc.option(fc.tuple(pick('=', ' = ', '='), pick('z9hG4bK1', '"q;u,o"', '"open', '1.2.3.4', '[::1]', '5060', 'a%20', '', '<x>')))).map(
  ([semi, name, v]) => semi + name + (v === null ? '' : v[0] + v[1]));
/** Via-shaped text: sent-protocol, sent-by, params (mostly valid, some broken). */
const viaArb = fc.tuple(pick('SIP/2.0/UDP ', 'SIP / 2.0 / TCP  ', 'sip/2.0/tls\t', 'SIP/2.0/UDP', 'SIP/2.0 UDP '),
  pick('host', 'Host.Example.COM', '1.2.3.4', '[::1]', '[2001:db8::1]', '[]', 'a_b-c', '', 'h$'),
  pick('', ':5060', ' : 5062', ':99999', ':', ':0'), fc.array(paramArb, { maxLength: 5 }), pick('', ' ', ',', ' x')).map((a) => a.flat().join(''));
/** name-addr-shaped text. */
const nameAddrArb = fc.tuple(pick('', '"Bob" ', '"a\\"b"', 'Bob ', 'A B', '"x', 'B@d '), pick('<', ''),
  pick('sip:alice@h', 'sips:h:5061', 'tel:+1', 'sip:a;b@h;lr', 'sip:h?x=y', 'sip:%41@h', 'sip:[::1]:5', 'sip:', 'http://x', 'sip:a b'),
  pick('>', '', '> '), fc.array(paramArb, { maxLength: 4 })).map((a) => a.flat().join(''));

/** URI-shaped text. */
const uriArb = fc.tuple(pick('sip:', 'sips:', 'SIP:', 'tel:', 'x-y+z.1:', '1a:', ':'), pick('', 'alice@', 'a:pw@', 'a%41@', '%4@', ';;@', 'a b@'),
  pick('h', 'host.example.com', '[::1]', '[1]', '1.2.3.4', '', '-'), pick('', ':5060', ':123456', ':'),
  fc.array(pick(';lr', ';transport=udp', ';x=', ';=1', ';a=%20', ';m=[::1]'), { maxLength: 3 }), pick('', '?a=b', '?', '?a=b&c=%41', '?<')).map((a) => a.flat().join(''));

/** Real values with random edits, random text, and grammar-shaped text. */
const inputArb = fc.oneof(
  textArb,
  viaArb,
  nameAddrArb,
  uriArb,
  fc.array(paramArb, { maxLength: 5 }).map((a) => a.join('')),
  fc.tuple(fc.constantFrom(...REAL), fc.nat(), fc.nat({ max: 6 }), textArb).map(([v, at, del, ins]) => {
    const i = at % (v.length + 1);
    return v.slice(0, i) + ins + v.slice(i + del);
  }),
);

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function checkParams(s: string): void {
  const ref = parseParams(s);
  const b = bytes(s);
  const got = paramsCheck(b, 0, b.length, 'tag');
  assert.equal(got >= 0, ref !== null, JSON.stringify(s));
  if (ref !== null) assert.equal(got === 1, ref.has('tag'), JSON.stringify(s));
}

function kindOf(s: string): number {
  const u = parseUri(s);
  if (u === null) return URI_BAD;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return URI_OTHER;
  return u.headers === null ? URI_SIP : URI_SIP_HEADERS;
}

function checkUri(s: string): void {
  const b = bytes(s);
  assert.equal(uriKind(b, 0, b.length), kindOf(s), JSON.stringify(s));
}

function checkNameAddr(s: string): void {
  const ref = parseNameAddr(s);
  const b = bytes(s);
  const ok = nameAddrCheck(b, 0, b.length);
  assert.equal(ok, ref !== null, JSON.stringify(s));
  if (ref === null) return;
  assert.equal(NA.tag, ref.params.has('tag'), JSON.stringify(s));
  const k = kindOf(ref.uri);
  assert.equal(NA.uri === URI_SIP_HEADERS ? URI_SIP : NA.uri, k === URI_SIP_HEADERS ? URI_SIP : k, JSON.stringify(s));
}

function checkVia(s: string): void {
  const ref = parseVia(s);
  const b = bytes(s);
  const ok = viaCheck(b, 0, b.length);
  assert.equal(ok, ref !== null, JSON.stringify(s));
  if (ref === null) return;
  assert.equal(b.toString('latin1', V.ts, V.te).toUpperCase(), ref.transport);
  assert.equal(b.toString('latin1', V.hs, V.he).toLowerCase(), ref.host);
  assert.equal(V.port < 0 ? null : V.port, ref.port);
  assert.equal(V.branch, ref.params.has('branch'));
  assert.equal(V.bs < 0 ? null : b.toString('latin1', V.bs, V.be), ref.params.get('branch') ?? null);
  assert.equal(V.rport, ref.params.has('rport'));
}

test('grammar twins agree on the corpus values', () => {
  assert.ok(REAL.length > 100, `${REAL.length} values`);
  for (const v of REAL) {
    checkParams(v);
    checkUri(v);
    checkNameAddr(v);
    checkVia(v);
  }
});

test('grammar twins agree on random and edited values', () => {
  const accepted = { params: 0, uri: 0, nameAddr: 0, via: 0 };
  fc.assert(fc.property(inputArb, (s) => {
    checkParams(s);
    checkUri(s);
    checkNameAddr(s);
    checkVia(s);
    if (parseParams(s) !== null) accepted.params++;
    if (parseUri(s) !== null) accepted.uri++;
    if (parseNameAddr(s) !== null) accepted.nameAddr++;
    if (parseVia(s) !== null) accepted.via++;
  }), { numRuns: 20000 });
  // Both sides of every grammar are exercised.
  for (const [k, n] of Object.entries(accepted)) assert.ok(n > 300 && n < 19700, `${k} accepted ${n} of 20000`);
});

test('grammar twins: hand-picked edge cases', () => {
  for (const s of ['', ' ', ';', ';tag', ';tag=', ';tag="x', ';tag = "a;b"', ';a=b ;c', 'sip:', 'sip:@h', 'sip:a@', 'sip:h;x=a@b', 'sip:[::1]', 'sip:[1]',
    'sip:h:65536', 'sip:h?', 'sip:h?a=b', 'tel:', 'tel:+1', '1sip:h', '<sip:h', '"x" sip:h', 'a b <sip:h>;tag=1', 'sip:h;tag=1', 'sip:a,b@h',
    'SIP/2.0/UDP []', 'SIP/2.0/UDP h:', 'SIP/2.0/UDP h :5060 ;branch=z', 'SIP/2.0/UDP h;branch', 'SIP/2.0/UDP h;branch=a;branch=b', 'SIP/2.0/UDP h;rport;rport=1']) {
    checkParams(s);
    checkUri(s);
    checkNameAddr(s);
    checkVia(s);
  }
});
