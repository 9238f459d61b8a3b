// `comsipl rules …`: record a presentity's decision about a watcher in the rules file.
//
// API:
//   runRulesCli(argv: string[], io?: Partial<CliIo>): Promise<number>   // exit code
//     argv = the words after `comsipl rules` (a leading 'rules' is tolerated)
//
//   comsipl rules approve      <presentity> <watcher> [--data DIR] [--file F]   → allow
//   comsipl rules deny         <presentity> <watcher> [--data DIR] [--file F]   → block
//   comsipl rules polite-block <presentity> <watcher> [--data DIR] [--file F]   → polite-block
//   comsipl rules check        <presentity> <watcher> [--data DIR] [--file F]   → prints the decision
//   comsipl rules list [<presentity>] [--data DIR] [--file F] [--http H] [--token-file T]
//                                        → the file's rules, then (from a running server) who waits
//   comsipl rules [<action>] --help
//
// <presentity> is an AoR (`sip:alice@example.com` or `alice@example.com`); <watcher> is an AoR
// or `*@domain`. The file is --file, else <--data>/rules.json, else <DEFAULTS.data>/rules.json.
// The CLI only edits the file (atomically); the running server picks the change up on SIGHUP
// or on its file-change watch. Exit codes: 0 done, 1 file unreadable/unwritable, 2 bad usage.
import { DEFAULTS } from '../config/schema.js';
import { defaultIo, splitArgs, type CliIo } from '../auth/cli-args.js';
import { aorKey, isWildcardKey } from './aor.js';
import { rulesFilePath, WatcherRules, type SettableDecision } from './watcher-rules.js';

const USAGE = 'usage: comsipl rules approve|deny|polite-block|check <presentity> <watcher> [--data DIR] [--file F] | comsipl rules list [<presentity>] (comsipl rules --help)';
const HELP = [
  'usage: comsipl rules approve|deny|polite-block|check <presentity> <watcher> [--data DIR] [--file F]',
  '       comsipl rules list [<presentity>] [--data DIR] [--file F] [--http HOST:PORT] [--token-file T]',
  '',
  'Watcher authorization (RFC 3856 §5). The rules file is <DIR>/rules.json (default ./data) or --file;',
  'a running server reloads it when it changes (or on SIGHUP), so a decision applies at once:',
  '  approve       allow the watcher (a pending one goes active and gets the state)',
  '  deny          block it (403; a pending or active watcher gets terminated;reason=rejected)',
  '  polite-block  accept it but show it a closed (offline) document',
  '  check         print the decision the rules give today',
  '  list          print the rules, then the watchers waiting for a decision (asked from the',
  '                running server\'s admin API, found from --data/--http like `comsipl status`)',
  '<presentity> is an AoR (alice@example.com); <watcher> an AoR or *@domain.',
].join('\n');
const ACTIONS: Readonly<Record<string, SettableDecision | 'check'>> = {
  approve: 'allow', deny: 'block', 'polite-block': 'polite-block', check: 'check',
};

function line(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text + '\n');
}

function usage(io: CliIo, why: string): number {
  line(io.stderr, `comsipl rules: ${why}. ${USAGE}`);
  return 2;
}

/** user@host with both parts non-empty (after aorKey normalisation). */
function isAor(key: string): boolean {
  const at = key.lastIndexOf('@');
  return at > 0 && at < key.length - 1 && !/\s/.test(key);
}

export async function runRulesCli(argv: string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io = defaultIo(ioIn);
  const args = argv[0] === 'rules' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    line(io.stdout, HELP);
    return 0;
  }
  const [cmd, ...rest] = args;
  if (cmd === undefined) return usage(io, 'missing action');
  if (cmd === 'list') return (await import('./rules-list.js')).listRules(rest, io, usage);
  const action = Object.hasOwn(ACTIONS, cmd) ? ACTIONS[cmd] : undefined;
  if (action === undefined) return usage(io, `unknown action '${cmd}'`);
  const split = splitArgs(rest, ['--data', '--file']);
  if ('error' in split) return usage(io, split.error);
  if (split.positional.length !== 2) return usage(io, `${cmd} takes <presentity> <watcher>`);
  const [presentity, watcher] = split.positional as [string, string];
  const p = aorKey(presentity);
  const w = aorKey(watcher);
  if (!isAor(p) || isWildcardKey(p)) return usage(io, `'${presentity}' is not a presentity AoR`);
  if (!isAor(w)) return usage(io, `'${watcher}' is not a watcher AoR or *@domain`);
  const file = split.flags.get('--file') ?? rulesFilePath(split.flags.get('--data') ?? DEFAULTS.data);
  try {
    const rules = WatcherRules.load(file);
    if (action === 'check') {
      line(io.stdout, `sip:${p} watched by ${isWildcardKey(w) ? w : `sip:${w}`}: ${rules.decide(p, w)}`);
      return 0;
    }
    rules.setDecision(p, w, action);
    line(io.stdout, `sip:${p} watched by ${isWildcardKey(w) ? w : `sip:${w}`}: ${action} (written to ${file})`);
    return 0;
  } catch (e) {
    line(io.stderr, `comsipl rules ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}
