// `comsipl user …`: manage the users file from the command line.
//
// API:
//   runUserCli(argv: string[], io?: Partial<CliIo>): Promise<number>    // exit code
//     argv = the words after `comsipl user` (a leading 'user' is tolerated)
//
//   comsipl user add <user@domain> [--realm R] [--password P] [--file F] [--data DIR]
//   comsipl user remove <user@domain> [--file F] [--data DIR]
//   comsipl user list [--file F] [--data DIR]
//   comsipl user [<subcommand>] --help
//
// The file is --file, else <--data>/users.json, else <DEFAULTS.data>/users.json (the CLI does
// not read COMSIPL_DATA; pass --data when the server runs with another data directory). A running
// server picks changes up by itself (it watches the file) — `user remove` takes effect at once.
// Without --password the password is read from stdin: with a terminal, twice and without
// echo; otherwise the first line of the input (so `printf 'pw\n' | comsipl user add …` works).
// Prefer stdin: a --password value is visible to other local users in the process list.
// Exit codes: 0 done, 1 the file could not be read or written, 2 bad usage. Every outcome is
// one line (list: one line per user). This is CLI output code, so writing to stdout is fine.
import { DEFAULTS } from '../config/schema.js';
import { defaultIo, splitArgs, type CliIo } from './cli-args.js';
import { addUser, checkAddUserInput, loadUsers, removeUser, usersFilePath, UsersFileError } from './users-file.js';

const USAGE = 'usage: comsipl user add|remove <user@domain> … | comsipl user list … (comsipl user --help)';
const HELP = [
  'usage: comsipl user add <user@domain> [--realm R] [--password P] [--file F] [--data DIR]',
  '       comsipl user remove <user@domain> [--file F] [--data DIR]',
  '       comsipl user list [--file F] [--data DIR]',
  '',
  'Manage the digest users file (HA1 hashes only, mode 0600). A running server reloads it on change.',
  '  add      add or replace a user; the password is read from stdin (twice, hidden, on a terminal)',
  '  remove   delete a user; its phones get 401 from the next request on',
  '  list     one line per user: AoR, realm, algorithms',
  '',
  '  --data DIR    data directory: the file is <DIR>/users.json (default ./data)',
  '  --file F      the users file itself (when the server runs with --users F)',
  '  --realm R     digest realm (default: the domain; pass the server\'s --realm if it has one)',
  '  --password P  the password (visible in the process list: prefer stdin)',
].join('\n');
const MAX_PASSWORD_INPUT = 4096;

function line(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text + '\n');
}

function fileOf(flags: Map<string, string>): string {
  return flags.get('--file') ?? usersFilePath(flags.get('--data') ?? DEFAULTS.data);
}

/** First line of a non-terminal stream, bounded; null when there is none. */
async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string | null> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    if (text.length > MAX_PASSWORD_INPUT) return null;
  }
  return text.length > 0 ? text.replace(/\r$/, '') : null;
}

/** One line typed on a terminal with echo off; null on Ctrl-C. */
function readHidden(tty: NodeJS.ReadStream, stderr: NodeJS.WritableStream, prompt: string): Promise<string | null> {
  return new Promise((resolve) => {
    let typed = '';
    stderr.write(prompt);
    tty.setRawMode(true);
    tty.resume();
    const finish = (value: string | null): void => {
      tty.removeListener('data', onData);
      tty.setRawMode(false);
      tty.pause();
      stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(typed);
        if (ch === '\u0003') return finish(null);
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_PASSWORD_INPUT) typed += ch;
      }
    };
    tty.on('data', onData);
  });
}

async function readPassword(io: CliIo): Promise<string | null> {
  const tty = io.stdin as NodeJS.ReadStream;
  if (tty.isTTY === true && typeof tty.setRawMode === 'function') {
    const first = await readHidden(tty, io.stderr, 'password: ');
    if (first === null) return null;
    const again = await readHidden(tty, io.stderr, 'again: ');
    return again === first ? first : null;
  }
  return readFirstLine(io.stdin);
}

async function add(positional: string[], flags: Map<string, string>, io: CliIo): Promise<number> {
  if (positional.length !== 1) return usage(io, 'user add takes exactly one <user@domain>');
  const target = positional[0]!;
  const at = target.lastIndexOf('@');
  if (at <= 0 || at === target.length - 1) return usage(io, `'${target}' is not user@domain`);
  const user = target.slice(0, at);
  const domain = target.slice(at + 1);
  const realm = flags.get('--realm');
  let password = flags.get('--password');
  // Validate what we can before asking for a password nobody will use.
  const early = checkAddUserInput({ user, domain, password: 'x', ...(realm !== undefined ? { realm } : {}) });
  if (early !== null) return usage(io, early);
  if (password === undefined) {
    const read = await readPassword(io);
    if (read === null) return usage(io, 'no password given (use --password or type it on stdin)');
    password = read;
  }
  if (password.length === 0) return usage(io, 'empty password');
  const file = fileOf(flags);
  try {
    const r = addUser(file, { user, domain, password, ...(realm !== undefined ? { realm } : {}) });
    line(io.stdout, `${r.created ? 'added' : 'updated'} ${r.aor} (realm "${r.realm}") in ${file}`);
    return 0;
  } catch (e) {
    line(io.stderr, `comsipl user add: ${(e as Error).message}`);
    return 1;
  }
}

function list(positional: string[], flags: Map<string, string>, io: CliIo): number {
  if (positional.length !== 0) return usage(io, 'user list takes no arguments');
  const file = fileOf(flags);
  try {
    const users = loadUsers(file);
    const names = Object.keys(users.users).sort();
    if (names.length === 0) line(io.stdout, `no users in ${file}`);
    for (const aor of names) {
      const e = users.users[aor]!;
      line(io.stdout, `${aor} realm="${e.realm}" algorithms=${Object.keys(e.ha1).join(',')}`);
    }
    return 0;
  } catch (e) {
    line(io.stderr, `comsipl user list: ${e instanceof UsersFileError ? e.message : (e as Error).message}`);
    return 1;
  }
}

function remove(positional: string[], flags: Map<string, string>, io: CliIo): number {
  if (positional.length !== 1) return usage(io, 'user remove takes exactly one <user@domain>');
  const file = fileOf(flags);
  try {
    if (!removeUser(file, positional[0]!)) {
      line(io.stderr, `comsipl user remove: no user ${positional[0]} in ${file}`);
      return 1;
    }
    line(io.stdout, `removed ${positional[0]} from ${file}`);
    return 0;
  } catch (e) {
    line(io.stderr, `comsipl user remove: ${(e as Error).message}`);
    return 1;
  }
}

function usage(io: CliIo, why: string): number {
  line(io.stderr, `comsipl user: ${why}. ${USAGE}`);
  return 2;
}

export async function runUserCli(argv: string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io = defaultIo(ioIn);
  const args = argv[0] === 'user' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    line(io.stdout, HELP);
    return 0;
  }
  const [cmd, ...rest] = args;
  const split = splitArgs(rest, cmd === 'add' ? ['--realm', '--password', '--file', '--data'] : ['--file', '--data']);
  if ('error' in split) return usage(io, split.error);
  if (cmd === 'add') return add(split.positional, split.flags, io);
  if (cmd === 'remove') return remove(split.positional, split.flags, io);
  if (cmd === 'list') return list(split.positional, split.flags, io);
  return usage(io, cmd === undefined ? 'missing subcommand' : `unknown subcommand '${cmd}'`);
}
