#!/usr/bin/env node
// Helper for scripts/try-real-clients.sh (the manual interop check with linphonec and baresip).
// Plain Node, no dependencies, loopback only, every wait bounded.
//
//   node real-clients-helper.mjs cons <port> <command> [waitMs]
//       Send one command line to baresip's `cons` module (UDP on 127.0.0.1:<port>) and print
//       what it answers within waitMs (default 1200), ANSI colours removed.
//   node real-clients-helper.mjs publish <server-port> <aor> <state> <etag-file> [user password]
//       One PUBLISH (Event: presence) for <aor> from 127.0.0.1, as a scripted PUA standing in
//       for states the two clients cannot set from their command lines. state = online | busy
//       | away | on-the-phone | dnd | offline. The SIP-ETag of the 2xx is kept in <etag-file>,
//       so the next call is a modify (RFC 3903 §4.4) and `offline` is a removal (Expires: 0,
//       RFC 3903 §4.5). With user and password a 401/407 is answered once with digest
//       credentials (RFC 3261 §22.2; MD5 or SHA-256 as RFC 8760, qop=auth). Prints the final
//       status line; exit 0 on 2xx, 1 otherwise.
//   node real-clients-helper.mjs fetch <server-port> <watcher-aor> <aor> [user password]
//       A one-shot SUBSCRIBE (Expires: 0) from <watcher-aor>: prints "<tuple-id> <basic>" for
//       each tuple of the document in the NOTIFY, i.e. the server's own composed view.
import dgram from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';

const ANSI = /\x1b\[[0-9;]*m/g;

function cons(port, command, waitMs) {
  const sock = dgram.createSocket('udp4');
  let out = '';
  sock.on('message', (m) => { out += m.toString('utf8'); });
  sock.bind(0, '127.0.0.1', () => {
    sock.send(Buffer.from(command + '\n'), port, '127.0.0.1');
    setTimeout(() => {
      process.stdout.write(out.replace(ANSI, ''));
      sock.close();
    }, waitMs);
  });
}

// RPID activities (RFC 4480 §3.2) in the shape liblinphone itself publishes them.
const STATES = {
  online: { basic: 'open', activity: null },
  busy: { basic: 'open', activity: 'busy' },
  away: { basic: 'open', activity: 'away' },
  'on-the-phone': { basic: 'open', activity: 'on-the-phone' },
  dnd: { basic: 'closed', activity: 'busy' },
};

function pidf(aor, state) {
  const s = STATES[state];
  const person = s.activity === null ? '' :
    ` <dm:person id="p1">\n  <rpid:activities><rpid:${s.activity}/></rpid:activities>\n </dm:person>\n`;
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"' +
    ` xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${aor}">\n` +
    ` <tuple id="t1">\n  <status><basic>${s.basic}</basic></status>\n  <contact>${aor}</contact>\n </tuple>\n` +
    person + '</presence>\n';
}

// First challenge whose algorithm we can compute (the server lists them in preference order).
function pickChallenge(text) {
  for (const m of text.matchAll(/^(?:WWW|Proxy)-Authenticate:[ \t]*Digest[ \t]+([^\r\n]*)/gim)) {
    const params = {};
    for (const p of m[1].matchAll(/([a-zA-Z-]+)=(?:"([^"]*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3];
    const alg = (params.algorithm ?? 'MD5').toUpperCase();
    if (alg === 'MD5' || alg === 'SHA-256') return { ...params, algorithm: alg, proxy: /^Proxy/i.test(m[0]) };
  }
  return null;
}

function credentials(ch, user, password, method, uri) {
  const h = (x) => createHash(ch.algorithm === 'MD5' ? 'md5' : 'sha256').update(x).digest('hex');
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = h(`${user}:${ch.realm}:${password}`);
  const ha2 = h(`${method}:${uri}`);
  const response = h(`${ha1}:${ch.nonce}:00000001:${cnonce}:auth:${ha2}`);
  const opaque = ch.opaque !== undefined ? `, opaque="${ch.opaque}"` : '';
  return `${ch.proxy ? 'Proxy-Authorization' : 'Authorization'}: Digest username="${user}", realm="${ch.realm}", ` +
    `nonce="${ch.nonce}", uri="${uri}", algorithm=${ch.algorithm}, qop=auth, nc=00000001, ` +
    `cnonce="${cnonce}", response="${response}"${opaque}`;
}

// One non-INVITE client transaction over UDP from an ephemeral 127.0.0.1 port: retransmitted
// like timer E (RFC 3261 §17.1.2.2), a 401/407 answered once with credentials, given up after
// 4 s. headers(cseq) gives the method-specific header lines. onFinal(code, text, sock) gets the
// final response; NOTIFYs arriving on the socket go to onNotify(text) and are answered 200.
function request({ serverPort, method, uri, from, headers, body, user, password, onFinal, onNotify }) {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '127.0.0.1', () => {
    const port = sock.address().port;
    const fromTag = randomBytes(4).toString('hex');
    const callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
    const build = (cseq, auth) => Buffer.from([
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70',
      `From: <${from}>;tag=${fromTag}`,
      `To: <${uri}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:try@127.0.0.1:${port}>`,
      ...(auth !== null ? [auth] : []),
      ...headers(cseq),
      'User-Agent: comsipl-try-real-clients',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ].join('\r\n') + '\r\n\r\n' + body);
    let cseq = 1;
    let msg = build(cseq, null);
    let challenged = false;
    let interval = 500;
    let timer;
    const send = () => {
      sock.send(msg, serverPort, '127.0.0.1');
      timer = setTimeout(send, interval);
      interval = Math.min(interval * 2, 2000);
    };
    const giveUp = setTimeout(() => {
      clearTimeout(timer);
      process.stdout.write('timeout\n');
      sock.close();
      process.exitCode = 1;
    }, 4000);
    sock.on('message', (m, rinfo) => {
      const text = m.toString('utf8');
      if (text.startsWith('NOTIFY ')) {
        const keep = (name) => (new RegExp(`^${name}:[^\\r\\n]*`, 'gim').exec(text) ?? [''])[0];
        const ok = ['SIP/2.0 200 OK', ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map(keep), 'Content-Length: 0'];
        // Close only once the 200 is out, or the server retransmits its NOTIFY (timer E).
        sock.send(Buffer.from(ok.join('\r\n') + '\r\n\r\n'), rinfo.port, rinfo.address, () => {
          onNotify?.(text, () => { clearTimeout(timer); clearTimeout(giveUp); sock.close(); });
        });
        return;
      }
      const status = /^SIP\/2\.0 (\d{3})[^\r\n]*/.exec(text);
      const rseq = /^CSeq:[ \t]*(\d+)/im.exec(text);
      // A late retransmission of the answer to the unauthenticated request is not ours.
      if (status === null || Number(status[1]) < 200 || rseq === null || Number(rseq[1]) !== cseq) return;
      clearTimeout(timer);
      const code = Number(status[1]);
      const ch = (code === 401 || code === 407) && !challenged && user !== undefined ? pickChallenge(text) : null;
      if (ch !== null) {
        challenged = true;
        cseq = 2;
        msg = build(cseq, credentials(ch, user, password, method, uri));
        interval = 500;
        send();
        return;
      }
      const done = () => { clearTimeout(giveUp); sock.close(); };
      onFinal(code, status[0], text, done);
    });
    send();
  });
}

function publish(serverPort, aor, state, etagFile, user, password) {
  if (state !== 'offline' && !(state in STATES)) {
    process.stderr.write(`unknown state ${state}\n`);
    process.exit(2);
  }
  const etag = existsSync(etagFile) ? readFileSync(etagFile, 'utf8').trim() : '';
  if (state === 'offline' && etag === '') {
    process.stdout.write('nothing published\n');
    return;
  }
  const body = state === 'offline' ? '' : pidf(aor, state);
  request({
    serverPort, method: 'PUBLISH', uri: aor, from: aor, body, user, password,
    headers: () => [
      'Event: presence',
      `Expires: ${state === 'offline' ? 0 : 600}`,
      ...(etag !== '' ? [`SIP-If-Match: ${etag}`] : []),
      ...(body !== '' ? ['Content-Type: application/pidf+xml'] : []),
    ],
    onFinal: (code, line, text, done) => {
      const tag = /^SIP-ETag:[ \t]*(\S+)/im.exec(text);
      if (code < 300 && state === 'offline') rmSync(etagFile, { force: true });
      else if (code < 300 && tag !== null) writeFileSync(etagFile, tag[1] + '\n');
      process.stdout.write(line + '\n');
      process.exitCode = code < 300 ? 0 : 1;
      done();
    },
  });
}

// A fetch (SUBSCRIBE with Expires: 0, RFC 6665 §4.1.2.4): prints one line per <tuple> of the
// presence document in the NOTIFY, "<tuple-id> <basic>".
function fetchState(serverPort, watcher, aor, user, password) {
  request({
    serverPort, method: 'SUBSCRIBE', uri: aor, from: watcher, body: '', user, password,
    headers: () => ['Event: presence', 'Accept: application/pidf+xml', 'Expires: 0'],
    onFinal: (code, line, _text, done) => {
      if (code >= 300) {
        process.stdout.write(line + '\n');
        process.exitCode = 1;
        done();
      }
    },
    onNotify: (text, done) => {
      for (const t of text.matchAll(/<tuple\b[^>]*\bid="([^"]*)"[\s\S]*?<basic>([^<]*)<\/basic>/g)) {
        process.stdout.write(`${t[1]} ${t[2]}\n`);
      }
      process.exitCode = 0;
      done();
    },
  });
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'cons' && args.length >= 2) cons(Number(args[0]), args[1], Number(args[2] ?? 1200));
else if (cmd === 'publish' && (args.length === 4 || args.length === 6)) publish(Number(args[0]), args[1], args[2], args[3], args[4], args[5]);
else if (cmd === 'fetch' && (args.length === 3 || args.length === 5)) fetchState(Number(args[0]), args[1], args[2], args[3], args[4]);
else {
  process.stderr.write('usage: real-clients-helper.mjs cons <port> <command> [waitMs] | publish <server-port> <aor> <state> <etag-file> [user password] | fetch <server-port> <watcher> <aor> [user password]\n');
  process.exit(2);
}
