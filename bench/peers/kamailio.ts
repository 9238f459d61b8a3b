// Kamailio set-ups of the peer kit: one config (bench/peers/kamailio.cfg) whose optional parts
// are switched on by `-A WITH_…` defines per variant, the SQLite schemas its modules need, and
// the command line (memory sizes, worker count, listen addresses). DB_PATH / CTL_PATH /
// SIP_PORT placeholders are filled in per fresh instance, in that instance's own temp dir.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KAM_VARIANTS = ['presence', 'dialog', 'rls', 'ws'] as const;
export type KamVariant = (typeof KAM_VARIANTS)[number];

interface VariantSpec {
  /** Kamailio preprocessor defines (-A) that switch on the variant's part of kamailio.cfg. */
  defines: string[];
  /** Kamailio's own SQLite schema files (/usr/share/kamailio/db_sqlite) the modules need. */
  schemas: string[];
  /** Extra SQL run after the schemas (e.g. the resource lists of the RLS smoke run). */
  seed?: string;
}

const SPECS: Record<KamVariant, VariantSpec> = {
  presence: { defines: [], schemas: ['standard-create.sql', 'presence-create.sql'] },
  dialog: { defines: ['WITH_DIALOG'], schemas: ['standard-create.sql', 'presence-create.sql'] },
  rls: { defines: ['WITH_RLS'], schemas: ['standard-create.sql', 'presence-create.sql', 'rls-create.sql'], seed: 'rls-seed.sql' },
  ws: { defines: ['WITH_WS'], schemas: ['standard-create.sql', 'presence-create.sql'] },
};

export const SCHEMA_DIR = '/usr/share/kamailio/db_sqlite';

export interface KamTuning {
  /** UDP worker processes (-n). */
  children: number;
  /** Shared memory, MiB (-m): must hold every subscription and every transaction in wait state. */
  shmMb: number;
  /** Private memory per process, MiB (-M). */
  pkgMb: number;
}

export interface KamInstanceFiles {
  cfg: string;
  defines: string[];
  pidFile: string;
  ctlSocket: string;
  db: string;
}

/** Why Kamailio cannot run here, or null. */
export function kamailioMissing(variant: KamVariant): string | null {
  for (const bin of ['kamailio', 'sqlite3']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} not found`;
  }
  if (!existsSync(join(SCHEMA_DIR, 'presence-create.sql'))) return `${SCHEMA_DIR} missing (apt-get install kamailio-sqlite-modules)`;
  if (!existsSync('/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so') && !existsSync('/usr/lib/kamailio/modules/db_sqlite.so')) {
    return 'db_sqlite module missing (apt-get install kamailio-sqlite-modules)';
  }
  if (variant === 'ws' && spawnSync('sh', ['-c', 'ls /usr/lib/*/kamailio/modules/websocket.so']).status !== 0) {
    return 'websocket module missing (apt-get install kamailio-websocket-modules)';
  }
  return null;
}

/** Writes the config and an empty presence database into `dir`. */
export function prepareKamailio(configDir: string, dir: string, variant: KamVariant, sipPort: number): KamInstanceFiles {
  const spec = SPECS[variant];
  const files: KamInstanceFiles = {
    cfg: join(dir, 'kamailio.cfg'), defines: spec.defines, pidFile: join(dir, 'kamailio.pid'), ctlSocket: join(dir, 'kamailio.ctl'), db: join(dir, 'presence.db'),
  };
  let sql = spec.schemas.map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8')).join('\n');
  if (spec.seed !== undefined) sql += `\n${readFileSync(join(configDir, spec.seed), 'utf8')}`;
  const r = spawnSync('sqlite3', [files.db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  const text = readFileSync(join(configDir, 'kamailio.cfg'), 'utf8')
    .replaceAll('DB_PATH', files.db).replaceAll('CTL_PATH', files.ctlSocket).replaceAll('SIP_PORT', String(sipPort));
  writeFileSync(files.cfg, text);
  return files;
}

/** Command-line arguments of one instance (foreground, logs on stderr). */
export function kamailioArgs(files: KamInstanceFiles, port: number, t: KamTuning, wsPort = 0): string[] {
  return [
    '-f', files.cfg, ...files.defines.flatMap((d) => ['-A', d]), '-l', `udp:127.0.0.1:${port}`, ...(wsPort > 0 ? ['-l', `tcp:127.0.0.1:${wsPort}`] : []),
    '-P', files.pidFile, '-m', String(t.shmMb), '-M', String(t.pkgMb), '-n', String(t.children), '-E', '-DD',
  ];
}

/** `kamcmd core.shmmem` used bytes (real_used), or null when the control socket does not answer. */
export function kamShmUsed(ctlSocket: string): number | null {
  const r = spawnSync('kamcmd', ['-s', `unix:${ctlSocket}`, 'core.shmmem'], { encoding: 'utf8', timeout: 5000 });
  const m = /real_used:\s*(\d+)/.exec(r.stdout ?? '');
  return m === null ? null : Number(m[1]);
}
