#!/usr/bin/env node
// (V8's default 16 MiB young generation on purpose: 64 MiB restores a million subscriptions in
// 18 s instead of 30 s, but its scavenges pause the loop for up to 30 ms instead of 11 ms under
// load; see bench/RESULTS.md.)
// Entry point: `comsipl [serve] [options]`, or one of the tool sub-commands. Builds the config,
// the logger and the server; stops cleanly on SIGINT/SIGTERM, reloads users and rules on SIGHUP.
import { loadConfig, usage, ConfigError, isLoopback } from './config.js';
import { createLogger } from './log.js';
import { Server } from './server.js';
import { StoreError } from './store/fdb-store.js';
import { UsersFileError } from './auth/users-file.js';
import { RulesFileError } from './policy/watcher-rules.js';
import { PRODUCT } from './version.js';

async function subcommand(name: string, argv: string[]): Promise<number | null> {
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
  const log = createLogger(cfg.logLevel);
  let server: Server;
  try {
    server = new Server(cfg, log);
    // Before 'listening', so nobody starts using an open server without having been told.
    if (cfg.auth === 'off' && !isLoopback(cfg.host)) {
      // Loud on purpose: an explicit --auth off on a reachable address is an open registrar.
      const msg = 'AUTHENTICATION IS OFF on a non-loopback address: anyone who can reach this port can register, publish and watch';
      log.warn({ host: cfg.host }, msg);
      process.stderr.write(`comsipl: WARNING: ${msg}\n`);
    } else if (server.auth !== null && server.auth.userCount === 0) {
      log.warn({ users: cfg.users }, 'authentication is on but the users file has no users: every REGISTER/PUBLISH/SUBSCRIBE will be refused (add one with `comsipl user add`)');
    }
    await server.start();
  } catch (e) {
    const known = e instanceof StoreError || e instanceof UsersFileError || e instanceof RulesFileError;
    const msg = known ? (e as Error).message : `cannot start: ${(e as Error).message}`;
    log.fatal({ err: (e as Error).message }, msg);
    log.flush();
    process.stderr.write(`comsipl: ${msg}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      server.stop().then(
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
    process.on('SIGHUP', () => server.reload('SIGHUP'));
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
