// `comsipl rules list [<presentity>]`: the rules file in words, then the watchers a running
// server holds pending (RFC 3856 §6.6 "confirm"), each with the command that approves it.
// The file part works without a server; the pending part needs its admin API and is skipped,
// with a note, when none answers.
import { DEFAULTS } from '../config/schema.js';
import { splitArgs, type CliIo } from '../auth/cli-args.js';
import { readJsonFile } from '../auth/atomic-write.js';
import { call, resolveEndpoint, CliError } from '../admin/cli/client.js';
import type { PendingApproval } from '../admin/model.js';
import { aorKey } from './aor.js';
import { rulesFilePath, RulesFileError, WatcherRules } from './watcher-rules.js';

type RuleSet = { default?: string; allow?: string[]; block?: string[]; politeBlock?: string[]; confirm?: string[] };
const LISTS: ReadonlyArray<readonly [keyof RuleSet, string]> = [['allow', 'allow'], ['confirm', 'confirm'], ['politeBlock', 'polite-block'], ['block', 'block']];

function describe(set: RuleSet): string[] {
  const out: string[] = [];
  if (set.default !== undefined) out.push(`default ${set.default}`);
  for (const [key, word] of LISTS) {
    const list = set[key];
    if (Array.isArray(list) && list.length > 0) out.push(`${word}: ${list.join(', ')}`);
  }
  return out.length > 0 ? out : ['(empty)'];
}

export async function listRules(argv: string[], io: CliIo, usage: (io: CliIo, why: string) => number): Promise<number> {
  const split = splitArgs(argv, ['--data', '--file', '--http', '--token-file']);
  if ('error' in split) return usage(io, split.error);
  if (split.positional.length > 1) return usage(io, 'list takes at most one <presentity>');
  const only = split.positional[0] === undefined ? null : aorKey(split.positional[0]);
  const file = split.flags.get('--file') ?? rulesFilePath(split.flags.get('--data') ?? DEFAULTS.data);
  const out = (s: string): void => void io.stdout.write(s + '\n');
  let doc: { default?: string; domains?: Record<string, RuleSet>; users?: Record<string, RuleSet> };
  try {
    WatcherRules.load(file); // validates: a broken file is reported, not half-printed
    doc = (readJsonFile(file) ?? {}) as typeof doc;
  } catch (e) {
    io.stderr.write(`comsipl rules list: ${e instanceof RulesFileError ? e.message : (e as Error).message}\n`);
    return 1;
  }
  out(`rules in ${file}:`);
  if (only === null) {
    out(`  everyone else: ${doc.default ?? 'allow'}`);
    for (const [domain, set] of Object.entries(doc.domains ?? {})) out(`  presentities of ${domain}: ${describe(set).join('; ')}`);
  }
  for (const [user, set] of Object.entries(doc.users ?? {})) {
    if (only === null || aorKey(user) === only) out(`  ${user}: ${describe(set).join('; ')}`);
  }
  try {
    const ep = resolveEndpoint(split.flags);
    const page = await call(ep, 'GET', '/api/approvals?limit=1000') as { items: PendingApproval[]; total: number };
    const items = page.items.filter((p) => only === null || aorKey(p.presentity) === only);
    out(items.length === 0 ? 'no watcher waits for a decision' : 'waiting for a decision:');
    for (const p of items) out(`  ${p.watcher} wants to watch ${p.presentity} (expires in ${p.expiresIn} s): comsipl rules approve ${p.presentity} ${p.watcher}`);
    if (page.total > page.items.length) out(`  … ${page.total - page.items.length} more (GET /api/approvals pages through all)`);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.stderr.write(`comsipl rules list: pending watchers not shown: ${e.message}\n`);
  }
  return 0;
}
