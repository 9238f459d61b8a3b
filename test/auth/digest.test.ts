import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildChallenge, computeHa1, digestResponse, parseAuthorization, verifyDigest, NonceCounter, mintNonce,
  DEFAULT_NONCE_TTL_MS, type BaseAlgorithm, type DigestAlgorithm, type VerifyOptions,
} from '../../src/auth/digest.js';

// RFC 7616 §3.9.1 example: user Mufasa, password "Circle of Life".
const RFC = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  uri: '/dir/index.html',
  method: 'GET',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  md5: '8ca523f5e9506fed4657c9700eebdbec',
  sha256: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
};

test('RFC 7616 §3.9.1 MD5 vector', () => {
  const ha1 = computeHa1(RFC.username, RFC.realm, RFC.password, 'MD5');
  const r = digestResponse({ algorithm: 'MD5', ha1, nonce: RFC.nonce, nc: RFC.nc, cnonce: RFC.cnonce, qop: RFC.qop, method: RFC.method, uri: RFC.uri });
  assert.equal(r, RFC.md5);
});

test('RFC 7616 §3.9.1 SHA-256 vector', () => {
  const ha1 = computeHa1(RFC.username, RFC.realm, RFC.password, 'SHA-256');
  const r = digestResponse({ algorithm: 'SHA-256', ha1, nonce: RFC.nonce, nc: RFC.nc, cnonce: RFC.cnonce, qop: RFC.qop, method: RFC.method, uri: RFC.uri });
  assert.equal(r, RFC.sha256);
});

test('the RFC 7616 Authorization header parses into fields that reproduce its response', () => {
  for (const [alg, expected] of [['MD5', RFC.md5], ['SHA-256', RFC.sha256]] as const) {
    const header = `Digest username="Mufasa",\r\n    realm="http-auth@example.org",\r\n    uri="/dir/index.html",\r\n    algorithm=${alg},\r\n`
      + `    nonce="${RFC.nonce}",\r\n    nc=00000001,\r\n    cnonce="${RFC.cnonce}",\r\n    qop=auth,\r\n    response="${expected}",\r\n    opaque="${RFC.opaque}"`;
    const c = parseAuthorization(header);
    assert.ok(c);
    assert.equal(c.username, 'Mufasa');
    assert.equal(c.realm, RFC.realm);
    assert.equal(c.uri, RFC.uri);
    assert.equal(c.algorithm, alg);
    assert.equal(c.nc, '00000001');
    assert.equal(c.opaque, RFC.opaque);
    const ha1 = computeHa1(c.username, c.realm, RFC.password, alg);
    const r = digestResponse({ algorithm: alg, ha1, nonce: c.nonce, nc: c.nc!, cnonce: c.cnonce!, qop: c.qop!, method: 'GET', uri: c.uri! });
    assert.equal(r, c.response);
  }
});

// ---- end to end against our own nonces ----

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const REALM = 'example.com';
const PASSWORDS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
const T0 = 1_700_000_000_000;

function ha1Of(username: string, realm: string, alg: BaseAlgorithm): string | undefined {
  const pw = PASSWORDS[username];
  return pw === undefined || realm !== REALM ? undefined : computeHa1(username, realm, pw, alg);
}

function nonceOf(challenge: string): string {
  const m = /nonce="([^"]+)"/.exec(challenge);
  assert.ok(m, challenge);
  return m[1]!;
}

interface ClientOpts { user?: string; password?: string; alg?: DigestAlgorithm; nc?: string; nonce?: string; method?: string; extra?: string; qop?: string | null }

/** What a UAC would send after a challenge minted at `at`. */
function authorize(at: number, o: ClientOpts = {}): string {
  const user = o.user ?? 'alice';
  const alg = o.alg ?? 'SHA-256';
  const base: BaseAlgorithm = alg.startsWith('MD5') ? 'MD5' : 'SHA-256';
  const nonce = o.nonce ?? nonceOf(buildChallenge({ realm: REALM, secret: SECRET, now: at })[0]!);
  const nc = o.nc ?? '00000001';
  const cnonce = 'c1c2c3c4';
  const uri = 'sip:example.com';
  const ha1 = computeHa1(user, REALM, o.password ?? PASSWORDS[user] ?? 'x', base);
  const qop = o.qop === null ? undefined : (o.qop ?? 'auth');
  const response = digestResponse({ algorithm: alg, ha1, nonce, nc, cnonce, method: o.method ?? 'REGISTER', uri, ...(qop ? { qop } : {}) });
  return `Digest username="${user}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${alg}, cnonce="${cnonce}"`
    + (qop ? `, qop=${qop}, nc=${nc}` : '') + (o.extra ?? '');
}

function verify(header: string, now: number, counter = new NonceCounter(), extra: Partial<VerifyOptions> = {}) {
  const credentials = parseAuthorization(header);
  assert.ok(credentials, header);
  return verifyDigest({
    credentials, method: 'REGISTER', realm: REALM, secret: SECRET, now, nonceTtlMs: DEFAULT_NONCE_TTL_MS,
    ha1: ha1Of, nonceCounter: counter, ...extra,
  });
}

test('buildChallenge offers SHA-256 before MD5, one header each, sharing one nonce', () => {
  const values = buildChallenge({ realm: REALM, secret: SECRET, now: T0, algorithms: ['MD5', 'SHA-256'] });
  assert.equal(values.length, 2);
  assert.match(values[0]!, /^Digest realm="example\.com", nonce="[A-Za-z0-9_-]{75}", qop="auth", algorithm=SHA-256$/);
  assert.match(values[1]!, /algorithm=MD5$/);
  assert.equal(nonceOf(values[0]!), nonceOf(values[1]!));
  const stale = buildChallenge({ realm: 'r "q"', secret: SECRET, now: T0, stale: true });
  assert.ok(stale[0]!.startsWith('Digest realm="r \\"q\\"", '));
  assert.ok(stale.every((v) => v.endsWith(', stale=true')));
});

test('a correct response verifies with SHA-256, MD5, and the -sess variants when allowed', () => {
  for (const alg of ['SHA-256', 'MD5'] as const) {
    assert.deepEqual(verify(authorize(T0, { alg }), T0 + 1000), { ok: true, username: 'alice' });
  }
  const all: DigestAlgorithm[] = ['SHA-256', 'MD5', 'SHA-256-sess', 'MD5-sess'];
  for (const alg of ['SHA-256-sess', 'MD5-sess'] as const) {
    assert.deepEqual(verify(authorize(T0, { alg }), T0, new NonceCounter(), { algorithms: all }), { ok: true, username: 'alice' });
    assert.equal(verify(authorize(T0, { alg }), T0).ok, false, `${alg} must not pass unless offered`);
  }
});

test('an absent algorithm parameter means MD5', () => {
  const h = authorize(T0, { alg: 'MD5' }).replace(', algorithm=MD5', '');
  assert.deepEqual(verify(h, T0), { ok: true, username: 'alice' });
  assert.deepEqual(verify(h, T0, new NonceCounter(), { algorithms: ['SHA-256'] }), { ok: false, stale: false, reason: 'unsupported algorithm' });
});

test('an uppercase hex response is accepted', () => {
  const h = authorize(T0).replace(/response="([0-9a-f]+)"/, (_m, hex: string) => `response="${hex.toUpperCase()}"`);
  assert.equal(verify(h, T0).ok, true);
});

test('wrong password → wrong response, never stale', () => {
  assert.deepEqual(verify(authorize(T0, { password: 'guess' }), T0), { ok: false, stale: false, reason: 'wrong response' });
  // Even with an expired nonce, a bad digest is not "stale" (RFC 7616 §3.3).
  assert.deepEqual(verify(authorize(T0, { password: 'guess' }), T0 + DEFAULT_NONCE_TTL_MS + 1), { ok: false, stale: false, reason: 'wrong response' });
});

test('an expired but authentic nonce with a correct digest → stale=true', () => {
  assert.equal(verify(authorize(T0), T0 + DEFAULT_NONCE_TTL_MS).ok, true);
  assert.deepEqual(verify(authorize(T0), T0 + DEFAULT_NONCE_TTL_MS + 1), { ok: false, stale: true, reason: 'stale nonce' });
  assert.deepEqual(verify(authorize(T0), T0 + 61_000, new NonceCounter(), { nonceTtlMs: 60_000 }), { ok: false, stale: true, reason: 'stale nonce' });
});

test('forged nonces are refused: other secret, tampered, malformed', () => {
  const other = mintNonce(Buffer.from('another secret of enough bytes!!'), T0);
  assert.deepEqual(verify(authorize(T0, { nonce: other }), T0), { ok: false, stale: false, reason: 'forged nonce' });
  const good = nonceOf(buildChallenge({ realm: REALM, secret: SECRET, now: T0 })[0]!);
  const flipped = good.slice(0, 10) + (good[10] === 'A' ? 'B' : 'A') + good.slice(11);
  assert.deepEqual(verify(authorize(T0, { nonce: flipped }), T0), { ok: false, stale: false, reason: 'forged nonce' });
  for (const bad of ['', 'abc', RFC.nonce, good + 'A', good.slice(1), good.replace(/.$/, '!')]) {
    const r = verify(authorize(T0, { nonce: bad }), T0);
    assert.deepEqual(r, { ok: false, stale: false, reason: 'forged nonce' }, bad);
  }
});

test('a nonce dated in the future is refused', () => {
  const future = mintNonce(SECRET, T0 + 3_600_000);
  assert.deepEqual(verify(authorize(T0, { nonce: future }), T0), { ok: false, stale: false, reason: 'nonce from the future' });
});

test('replayed or decreasing nonce counts are refused; increasing ones pass', () => {
  const counter = new NonceCounter();
  const nonce = nonceOf(buildChallenge({ realm: REALM, secret: SECRET, now: T0 })[0]!);
  assert.equal(verify(authorize(T0, { nonce, nc: '00000001' }), T0, counter).ok, true);
  assert.deepEqual(verify(authorize(T0, { nonce, nc: '00000001' }), T0, counter), { ok: false, stale: false, reason: 'replayed nonce count' });
  assert.equal(verify(authorize(T0, { nonce, nc: '00000002' }), T0, counter).ok, true);
  assert.equal(verify(authorize(T0, { nonce, nc: '0000000a' }), T0, counter).ok, true);
  assert.equal(verify(authorize(T0, { nonce, nc: '00000009' }), T0, counter).ok, false);
});

test('a forger cannot burn nonce counts: failed digests are not recorded', () => {
  const counter = new NonceCounter();
  const nonce = nonceOf(buildChallenge({ realm: REALM, secret: SECRET, now: T0 })[0]!);
  assert.equal(verify(authorize(T0, { nonce, nc: 'ffffffff', password: 'guess' }), T0, counter).ok, false);
  assert.equal(verify(authorize(T0, { nonce, nc: '00000001' }), T0, counter).ok, true);
});

test('structural failures are reported precisely', () => {
  assert.deepEqual(verify(authorize(T0, { user: 'mallory' }), T0), { ok: false, stale: false, reason: 'unknown user' });
  assert.deepEqual(verify(authorize(T0).replace('realm="example.com"', 'realm="other.org"'), T0), { ok: false, stale: false, reason: 'realm mismatch' });
  assert.deepEqual(verify(authorize(T0).replace(/uri="[^"]*", /, ''), T0), { ok: false, stale: false, reason: 'missing uri' });
  assert.deepEqual(verify(authorize(T0, { qop: null }), T0), { ok: false, stale: false, reason: 'qop auth required' });
  assert.deepEqual(verify(authorize(T0, { qop: 'auth-int' }), T0), { ok: false, stale: false, reason: 'qop auth required' });
  assert.deepEqual(verify(authorize(T0, { nc: '1' }), T0), { ok: false, stale: false, reason: 'bad nonce count' });
  assert.deepEqual(verify(authorize(T0, { nc: '00000000' }), T0), { ok: false, stale: false, reason: 'bad nonce count' });
  assert.deepEqual(verify(authorize(T0).replace(/, cnonce="[^"]*"/, ''), T0), { ok: false, stale: false, reason: 'missing cnonce' });
  assert.deepEqual(verify(authorize(T0, { extra: ', userhash=true' }), T0), { ok: false, stale: false, reason: 'userhash not supported' });
  assert.deepEqual(verify(authorize(T0, { alg: 'MD5' }).replace('algorithm=MD5', 'algorithm=SHA-512-256'), T0), { ok: false, stale: false, reason: 'unsupported algorithm' });
  // The response is bound to the method.
  assert.deepEqual(verify(authorize(T0, { method: 'SUBSCRIBE' }), T0), { ok: false, stale: false, reason: 'wrong response' });
});

test('property: any change to a valid response is rejected', () => {
  const header = authorize(T0);
  const good = parseAuthorization(header)!.response;
  fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (other) => {
    fc.pre(other !== good);
    const r = verify(header.replace(good, other), T0);
    return r.ok === false && r.reason === 'wrong response';
  }), { numRuns: 200 });
});
