// The SIP.js side of the browser test. Query: server (ws:// or wss:// URL), user, password,
// domain, role (publisher|watcher), watch (the AoR a watcher subscribes to).
import { UserAgent, Registerer, Publisher, Subscriber } from '/sipjs/index.js';

const q = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const log = (s) => { $('log').textContent += `${s}\n`; };
window.onerror = (e) => log(`error: ${e}`);

const aor = `sip:${q.get('user')}@${q.get('domain')}`;
const pidf = (note) => `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${aor}">` +
  `<tuple id="browser"><status><basic>open</basic></status><note>${note}</note></tuple></presence>`;

const ua = new UserAgent({
  uri: UserAgent.makeURI(aor),
  transportOptions: { server: q.get('server'), traceSip: false },
  authorizationUsername: q.get('user'),
  authorizationPassword: q.get('password'),
  logBuiltinEnabled: true,
  logLevel: 'warn',
  logConnector: (level, category, label, content) => { if (level !== 'debug') log(`${level} ${category}: ${content}`); },
});

async function main() {
  await ua.start();
  const registerer = new Registerer(ua, { expires: 600 });
  registerer.stateChange.addListener((s) => { $('reg').textContent = s; });
  await registerer.register({ requestDelegate: { onReject: (r) => { $('reg').textContent = `rejected ${r.message.statusCode}`; } } });
  if (q.get('role') === 'publisher') {
    const publisher = new Publisher(ua, UserAgent.makeURI(aor), 'presence', { expires: 600, contentType: 'application/pidf+xml' });
    publisher.stateChange.addListener((s) => { $('pub').textContent = `${s} ${window.lastNote ?? ''}`; });
    window.publishNote = async (note) => {
      window.lastNote = note;
      await publisher.publish(pidf(note));
    };
    window.ready = true;
  } else {
    const subscriber = new Subscriber(ua, UserAgent.makeURI(q.get('watch')), 'presence', { expires: 600 });
    subscriber.stateChange.addListener((s) => { $('sub').textContent = s; });
    subscriber.delegate = {
      onNotify: (notification) => {
        notification.accept();
        $('notifies').textContent = String(Number($('notifies').textContent) + 1);
        const body = notification.request.body || '';
        const note = /<note[^>]*>([^<]*)<\/note>/.exec(body);
        const basic = /<basic>([^<]*)<\/basic>/.exec(body);
        $('state').textContent = `${basic ? basic[1] : 'none'} ${note ? note[1] : ''}`.trim();
      },
    };
    await subscriber.subscribe();
    window.ready = true;
  }
}
main().catch((e) => log(`failed: ${e && e.message}`));
