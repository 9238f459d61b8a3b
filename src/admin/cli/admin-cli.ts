// `comsipl status | presence | watchers | registrations | kick`: a running server, seen and
// steered through its admin API (src/admin/http/api.ts). Human-readable lines by default,
// the API's JSON with --json. Exit codes: 0 done, 1 the server refused or cannot be reached,
// 2 bad usage. This is CLI output code, so writing to stdout is fine.
import { defaultIo, splitArgs, type CliIo } from '../../auth/cli-args.js';
import { call, resolveEndpoint, CliError, type Endpoint } from './client.js';
import type { PresentityView, RegistrationView, WatcherView } from '../model.js';

const CONNECT = '[--data DIR] [--http HOST:PORT] [--token-file F] [--json]';
const CONNECT_HELP = [
  'Connection (any subcommand):',
  '  --data DIR         the server\'s data directory: admin-token and admin-url are read from it (default ./data, COMSIPL_DATA)',
  '  --http HOST:PORT   the admin listener, when not the one in <data>/admin-url (COMSIPL_HTTP)',
  '  --token-file F     the token file, when not <data>/admin-token (or the token itself in COMSIPL_ADMIN_TOKEN)',
  '  --json             print the API\'s JSON answer instead of text',
];

interface Command {
  usage: string;
  about: string;
  flags: string[];
  run(pos: string[], flags: Map<string, string>, ep: Endpoint, out: (s: string) => void): Promise<unknown>;
}

const PAGE_FLAGS = ['--limit', '--cursor'];

function pageQuery(flags: Map<string, string>, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ limit: flags.get('--limit'), cursor: flags.get('--cursor'), ...extra })) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

function more(out: (s: string) => void, page: { total: number; items: unknown[]; next: string | null }): void {
  if (page.next !== null) out(`(${page.items.length} of ${page.total} shown; next page: --cursor ${page.next})`);
}

function one(pos: string[], what: string): string {
  if (pos.length !== 1) throw new CliError(`expected exactly one ${what}`, 2);
  return pos[0]!;
}

const COMMANDS: Record<string, Command> = {
  status: {
    usage: `comsipl status ${CONNECT}`,
    about: 'Version, listeners, authentication, users, and what the server holds and has waiting.',
    flags: [],
    async run(pos, _f, ep, out) {
      if (pos.length !== 0) throw new CliError('status takes no arguments', 2);
      const s = await call(ep, 'GET', '/api/status') as {
        version: string; startedAt: string; ready: boolean; auth: string; users: number; data: string;
        sip: { transport: string; host: string; port: number }[];
        counts: Record<string, number | unknown>;
      };
      const c = s.counts;
      out(`ComSIPL ${s.version}, ${s.ready ? 'ready' : 'starting (restoring the store)'}, up since ${s.startedAt}`);
      out(`SIP:           ${s.sip.map((l) => `${l.transport} ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`).join(', ')}`);
      out(`auth:          ${s.auth}, ${s.users} user${s.users === 1 ? '' : 's'}; data ${s.data}`);
      out(`registrations: ${c.registrations}   presentities: ${c.presentities}   subscriptions: ${c.subscriptions}`);
      out(`waiting:       ${c.pendingRequests} requests, ${c.storeQueue} store writes, ${c.notifyBacklog} NOTIFY backlog, ${c.notifyInFlight} NOTIFYs in flight`);
      out(`traffic:       ${c.received} datagrams, ${c.malformed} malformed, ${c.retransmissions} retransmissions, ${c.overloaded} refused under load`);
      return s;
    },
  },
  presence: {
    usage: `comsipl presence <aor> ${CONNECT}`,
    about: 'A presentity\'s state (available, busy, away, on-the-phone, offline), publications, watchers, and the composed PIDF document its watchers receive.',
    flags: [],
    async run(pos, _f, ep, out) {
      const p = await call(ep, 'GET', `/api/presentities/${encodeURIComponent(one(pos, '<aor>'))}`) as PresentityView;
      out(`${p.aor}: ${p.state}${p.note !== null ? ` ("${p.note}")` : ''}; ${p.publications} publication${p.publications === 1 ? '' : 's'}, ${p.watchers} watcher${p.watchers === 1 ? '' : 's'} (${p.pending} pending)`);
      for (const pub of p.publicationList) out(`  publication ${pub.etag}: modified ${pub.modified}, expires in ${pub.expiresIn} s`);
      out(p.pidf.trimEnd());
      return p;
    },
  },
  watchers: {
    usage: `comsipl watchers <aor> [--limit N] [--cursor C] ${CONNECT}`,
    about: 'Who watches a presentity: subscription id (for `kick subscription`), watcher, event, state, expiry, transport.',
    flags: PAGE_FLAGS,
    async run(pos, flags, ep, out) {
      const aor = one(pos, '<aor>');
      const page = await call(ep, 'GET', `/api/presentities/${encodeURIComponent(aor)}/watchers${pageQuery(flags)}`) as { items: WatcherView[]; total: number; next: string | null };
      if (page.total === 0) out(`nobody watches ${aor}`);
      for (const w of page.items) {
        out(`${w.id}  ${w.watcher}  ${w.event}  ${w.state}${w.politeBlocked ? ' (polite-blocked)' : ''}  expires in ${w.expiresIn} s  ${w.transport} → ${w.target}`);
      }
      more(out, page);
      return page;
    },
  },
  registrations: {
    usage: `comsipl registrations [--aor TEXT] [--contact TEXT] [--limit N] [--cursor C] ${CONNECT}`,
    about: 'Registered AoRs and their bindings (contact, expiry, transport); --aor/--contact filter by substring.',
    flags: [...PAGE_FLAGS, '--aor', '--contact'],
    async run(pos, flags, ep, out) {
      if (pos.length !== 0) throw new CliError('registrations takes no arguments (filter with --aor/--contact)', 2);
      const page = await call(ep, 'GET', `/api/registrations${pageQuery(flags, { aor: flags.get('--aor'), contact: flags.get('--contact') })}`) as { items: RegistrationView[]; total: number; next: string | null };
      if (page.total === 0) out('no registrations');
      for (const r of page.items) {
        out(r.aor);
        for (const b of r.bindings) out(`  ${b.contact}  expires in ${b.expiresIn} s  ${b.transport}${b.q !== null ? `  q=${b.q}` : ''}`);
      }
      more(out, page);
      return page;
    },
  },
  kick: {
    usage: `comsipl kick subscription <id> [--reason R] ${CONNECT}\n       comsipl kick binding <aor> [<contact-uri>] ${CONNECT}`,
    about: 'End a subscription (final NOTIFY terminated;reason=R, default deactivated; ids from `comsipl watchers`), or remove one binding of an AoR (all of them without <contact-uri>).',
    flags: ['--reason'],
    async run(pos, flags, ep, out) {
      const [what, ...rest] = pos;
      if (what === 'subscription') {
        const id = one(rest, 'subscription <id>');
        const reason = flags.get('--reason');
        const r = await call(ep, 'DELETE', `/api/subscriptions/${encodeURIComponent(id)}${reason !== undefined ? `?reason=${encodeURIComponent(reason)}` : ''}`) as { reason: string };
        out(`subscription ${id} ended (terminated;reason=${r.reason})`);
        return r;
      }
      if (what === 'binding') {
        if (rest.length < 1 || rest.length > 2) throw new CliError('kick binding takes <aor> [<contact-uri>]', 2);
        const q = rest[1] !== undefined ? `?contact=${encodeURIComponent(rest[1])}` : '';
        const r = await call(ep, 'DELETE', `/api/registrations/${encodeURIComponent(rest[0]!)}${q}`) as { removed: number };
        out(`removed ${r.removed} binding${r.removed === 1 ? '' : 's'} of ${rest[0]}`);
        return r;
      }
      throw new CliError(`kick what? 'subscription <id>' or 'binding <aor> [<contact-uri>]'`, 2);
    },
  },
};

export function adminHelp(name: string): string {
  const c = COMMANDS[name]!;
  return [`usage: ${c.usage}`, '', c.about, '', ...CONNECT_HELP].join('\n');
}

export async function runAdminCli(name: string, argv: string[], ioIn: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = defaultIo(ioIn);
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    io.stderr.write(`comsipl: unknown command '${name}'\n`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(adminHelp(name) + '\n');
    return 0;
  }
  const json = argv.includes('--json');
  const split = splitArgs(argv.filter((a) => a !== '--json'), ['--data', '--http', '--token-file', ...cmd.flags]);
  if ('error' in split) {
    io.stderr.write(`comsipl ${name}: ${split.error} (see comsipl ${name} --help)\n`);
    return 2;
  }
  const lines: string[] = [];
  try {
    const ep = resolveEndpoint(split.flags, env);
    const result = await cmd.run(split.positional, split.flags, ep, (s) => lines.push(s));
    io.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : lines.map((l) => l + '\n').join(''));
    return 0;
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.stderr.write(`comsipl ${name}: ${e.message}${e.code === 2 ? ` (see comsipl ${name} --help)` : ''}\n`);
    return e.code;
  }
}
