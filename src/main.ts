#!/usr/bin/env node
// (V8's default 16 MiB young generation on purpose: 64 MiB restores a million subscriptions in
// 18 s instead of 30 s, but its scavenges pause the loop for up to 30 ms instead of 11 ms under
// load; see bench/RESULTS.md.)
// Entry point: `comsipl [serve] [options]`, or one of the tool sub-commands. Builds the config
// and the logger, starts everything (src/ops/start.ts); stops cleanly on SIGINT/SIGTERM,
// reloads users and rules on SIGHUP.
import { loadConfig } from './config/load.js';
import { usage } from './config/options.js';
import { ConfigError } from './config/schema.js';
import { createLogger } from './log.js';
import { PRODUCT } from './version.js';

const ADMIN_COMMANDS = new Set(['status', 'presence', 'watchers', 'registrations', 'kick']);

async function subcommand(name: string, argv: string[]): Promise<number | null> {
  if (ADMIN_COMMANDS.has(name)) return (await import('./admin/cli/admin-cli.js')).runAdminCli(name, argv);
  switch (name) {
    case 'load':
      return (await import('./load/cli.js')).runLoadCli(argv);
    case 'user':
      return (await import('./auth/user-cli.js')).runUserCli(argv);
    case 'rules':
      return (await import('./policy/rules-cli.js')).runRulesCli(argv);
    default:
      return null;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    const code = argv[0] === 'serve' ? null : await subcommand(argv[0], argv.slice(1));
    if (code !== null) return code;
    if (argv[0] !== 'serve') {
      process.stderr.write(`comsipl: unknown command '${argv[0]}' (see --help)\n`);
      return 2;
    }
    argv = argv.slice(1);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${PRODUCT}\n${usage()}\n`);
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${PRODUCT}\n`);
    return 0;
  }
  let cfg;
  try {
    cfg = loadConfig(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`comsipl: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(cfg.logLevel, undefined, cfg.logFormat);
  // Loaded here, not at the top: the CLI sub-commands need none of the server's modules.
  const { start } = await import('./ops/start.js');
  const running = await start(cfg, log);
  if (running === null) return 1;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      running.stop().then(
        () => {
          log.info('stopped');
          log.flush();
          resolve(0);
        },
        (err: Error) => {
          log.error({ err: err.message }, 'unclean stop');
          log.flush();
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', () => running.server.reload('SIGHUP'));
    // A promise nobody handled is a bug, not a reason to drop every registration and dialog in
    // flight: log it with its stack and keep serving.
    process.on('unhandledRejection', (err) => log.error({ err: (err as Error)?.stack ?? String(err) }, 'unhandled rejection'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Anything left (pool threads, handles) must not keep a stopped server alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: Error) => {
    process.stderr.write(`comsipl: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
