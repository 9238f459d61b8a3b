// Watcher authorization: who may see a presentity's state (RFC 3856 §5 and §6.6, with the
// sub-handling values of RFC 5025 §3.2.1).
//
// API:
//   type WatcherDecision = 'allow' | 'block' | 'polite-block' | 'confirm'
//   class WatcherRules {
//     static load(path: string): WatcherRules              // missing file → empty rules (default allow)
//     static fromObject(json: unknown, path: string): WatcherRules
//     decide(presentityAor: string, watcherAor: string): WatcherDecision
//     setDecision(presentityAor, watcherAor, 'allow' | 'block' | 'polite-block'): void   // persists atomically
//     reload(): void                                       // re-reads the file; on error throws and keeps the old rules
//     readonly path: string
//   }
//   rulesFilePath(dataDir: string): string                 // <data>/rules.json
//   class RulesFileError extends Error
//
// What the decisions mean to the core (RFC 5025 §3.2.1, RFC 3856 §6.6, RFC 6665 §4.2.1):
//   allow        → subscription active, NOTIFY with the real state.
//   confirm      → subscription pending (200 OK, NOTIFY Subscription-State: pending, no state);
//                  a winfo NOTIFY lets the presentity decide, `comsipl rules approve` flips it.
//   polite-block → reported active, but the NOTIFY shows a neutral/closed state.
//   block        → rejected (403, or terminated;reason=rejected if it was pending).
//
// File (JSON, default <data>/rules.json):
//   { "default": "allow",
//     "domains": { "example.com": { "default": "confirm", "allow": ["sip:bob@example.com", "*@example.com"],
//                                   "block": [], "politeBlock": [], "confirm": [] } },
//     "users":   { "sip:alice@example.com": { "default": "confirm", "allow": [], "block": [], "politeBlock": [], "confirm": [] } } }
// `domains` are keyed by the PRESENTITY's domain; list entries name WATCHERS, either one AoR
// or `*@domain` for every watcher of that domain.
//
// Precedence, first match wins:
//   1. watcher == presentity → allow (self-view for multi-device users, RFC-CHECKLIST PRES-10)
//   2. the presentity's user rules: exact watcher, then `*@watcher-domain`, then its default
//   3. the presentity's domain rules: exact watcher, then `*@watcher-domain`, then its default
//   4. the global default ('allow' when absent)
//
// Conflicts inside one level (the same watcher key in two lists): the most restrictive
// wins, block > polite-block > confirm > allow. This deliberately differs from pres-rules:
// RFC 5025 §3.2.1 numbers block=0 < confirm=10 < polite-block=20 < allow=30 and the
// common-policy combining rule (RFC 4745 §10.2) takes the MAXIMUM of matching rules, i.e.
// the most permissive. That suits common-policy, where every rule is a grant and no match
// means deny; here lists carry explicit denials written by an operator, so a contradiction
// is a mistake and failing closed protects the presentity's privacy. setDecision removes
// the watcher from the other lists of that presentity, so CLI-made decisions never conflict.
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../auth/atomic-write.js';
import { aorKey, domainOfKey, isWildcardKey } from './aor.js';

export type WatcherDecision = 'allow' | 'block' | 'polite-block' | 'confirm';
export type SettableDecision = 'allow' | 'block' | 'polite-block';

export class RulesFileError extends Error {}

export const DEFAULT_DECISION: WatcherDecision = 'allow';

const DECISIONS: readonly WatcherDecision[] = ['allow', 'block', 'polite-block', 'confirm'];
/** Higher = more restrictive; used only to settle conflicts inside one level. */
const RESTRICTIVENESS: Readonly<Record<WatcherDecision, number>> = { allow: 0, confirm: 1, 'polite-block': 2, block: 3 };
/** JSON list name → decision. */
const LISTS: ReadonlyArray<readonly [ListName, WatcherDecision]> = [
  ['allow', 'allow'], ['block', 'block'], ['politeBlock', 'polite-block'], ['confirm', 'confirm'],
];
type ListName = 'allow' | 'block' | 'politeBlock' | 'confirm';

interface RuleSetJson {
  default?: WatcherDecision;
  allow?: string[];
  block?: string[];
  politeBlock?: string[];
  confirm?: string[];
  [extra: string]: unknown;
}

interface RulesJson {
  default?: WatcherDecision;
  domains?: Record<string, RuleSetJson>;
  users?: Record<string, RuleSetJson>;
  [extra: string]: unknown;
}

interface Level {
  def: WatcherDecision | undefined;
  exact: Map<string, WatcherDecision>;
  wild: Map<string, WatcherDecision>; // watcher domain → decision
}

interface Compiled {
  def: WatcherDecision;
  users: Map<string, Level>;
  domains: Map<string, Level>;
}

export function rulesFilePath(dataDir: string): string {
  return join(dataDir, 'rules.json');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkDecision(v: unknown, where: string): WatcherDecision | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !DECISIONS.includes(v as WatcherDecision)) {
    throw new RulesFileError(`${where}: '${String(v)}' is not one of ${DECISIONS.join('|')}`);
  }
  return v as WatcherDecision;
}

function compileLevel(raw: unknown, where: string): Level {
  if (!isObject(raw)) throw new RulesFileError(`${where}: expected an object`);
  const level: Level = { def: checkDecision(raw.default, `${where}.default`), exact: new Map(), wild: new Map() };
  for (const [list, decision] of LISTS) {
    const entries = raw[list];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) throw new RulesFileError(`${where}.${list}: expected an array of URIs`);
    for (const e of entries) {
      if (typeof e !== 'string' || e.trim() === '') throw new RulesFileError(`${where}.${list}: entries must be non-empty strings`);
      const key = aorKey(e);
      const map = isWildcardKey(key) ? level.wild : level.exact;
      const mapKey = isWildcardKey(key) ? domainOfKey(key) : key;
      const prev = map.get(mapKey);
      if (prev === undefined || RESTRICTIVENESS[decision] > RESTRICTIVENESS[prev]) map.set(mapKey, decision);
    }
  }
  return level;
}

function compile(json: unknown, source: string): Compiled {
  if (!isObject(json)) throw new RulesFileError(`${source}: expected a JSON object`);
  const out: Compiled = { def: checkDecision(json.default, `${source}: default`) ?? DEFAULT_DECISION, users: new Map(), domains: new Map() };
  for (const [field, target, keyOf] of [
    ['users', out.users, aorKey],
    ['domains', out.domains, (d: string) => d.trim().toLowerCase()],
  ] as const) {
    const section = json[field];
    if (section === undefined) continue;
    if (!isObject(section)) throw new RulesFileError(`${source}: "${field}" must be an object`);
    for (const [k, v] of Object.entries(section)) target.set(keyOf(k), compileLevel(v, `${source}: ${field}["${k}"]`));
  }
  return out;
}

function decideAt(level: Level, watcherKey: string): WatcherDecision | undefined {
  return level.exact.get(watcherKey) ?? level.wild.get(domainOfKey(watcherKey)) ?? level.def;
}

export class WatcherRules {
  readonly path: string;
  #raw: RulesJson;
  #compiled: Compiled;

  private constructor(path: string, raw: RulesJson, compiled: Compiled) {
    this.path = path;
    this.#raw = raw;
    this.#compiled = compiled;
  }

  static load(path: string): WatcherRules {
    const raw = WatcherRules.#read(path);
    return new WatcherRules(path, raw, compile(raw, path));
  }

  /** Rules from an already parsed document; `path` is where setDecision will write. */
  static fromObject(json: unknown, path: string): WatcherRules {
    const compiled = compile(json, path);
    return new WatcherRules(path, structuredClone(json) as RulesJson, compiled);
  }

  static #read(path: string): RulesJson {
    try {
      return (readJsonFile(path) ?? {}) as RulesJson;
    } catch (e) {
      throw new RulesFileError(`${path}: ${(e as Error).message}`);
    }
  }

  decide(presentityAor: string, watcherAor: string): WatcherDecision {
    const p = aorKey(presentityAor);
    const w = aorKey(watcherAor);
    if (p === w) return 'allow';
    const c = this.#compiled;
    const user = c.users.get(p);
    const byUser = user && decideAt(user, w);
    if (byUser !== undefined) return byUser;
    const domain = c.domains.get(domainOfKey(p));
    const byDomain = domain && decideAt(domain, w);
    return byDomain ?? c.def;
  }

  /**
   * Records the presentity's decision about one watcher (or `*@domain`) in its user rules,
   * removing that watcher from its other lists, and writes the file atomically. On a write
   * failure nothing changes in memory and the error is thrown.
   */
  setDecision(presentityAor: string, watcherAor: string, decision: SettableDecision): void {
    if (decision !== 'allow' && decision !== 'block' && decision !== 'polite-block') {
      throw new RulesFileError(`setDecision: '${String(decision)}' is not allow|block|polite-block`);
    }
    const p = aorKey(presentityAor);
    const w = aorKey(watcherAor);
    const next = structuredClone(this.#raw);
    const users = isObject(next.users) ? next.users : (next.users = {});
    const existing = Object.keys(users).find((k) => aorKey(k) === p);
    const userKey = existing ?? `sip:${p}`;
    const set: RuleSetJson = users[userKey] ?? (users[userKey] = {});
    for (const [list] of LISTS) {
      const entries = set[list];
      if (Array.isArray(entries)) set[list] = entries.filter((e) => aorKey(e) !== w);
    }
    const target: ListName = decision === 'polite-block' ? 'politeBlock' : decision;
    const entry = isWildcardKey(w) ? w : `sip:${w}`;
    (set[target] ??= []).push(entry);
    const compiled = compile(next, this.path);
    writeJsonAtomic(this.path, next, 0o600);
    this.#raw = next;
    this.#compiled = compiled;
  }

  /** Re-reads the file (SIGHUP / file change). Throws RulesFileError and keeps the old rules if it is broken. */
  reload(): void {
    const raw = WatcherRules.#read(this.path);
    const compiled = compile(raw, this.path);
    this.#raw = raw;
    this.#compiled = compiled;
  }
}
