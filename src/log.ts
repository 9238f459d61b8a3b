// pino root logger: JSON lines to stdout, or (--log-format pretty) pino-pretty's coloured lines
// for a terminal. Components take children with fixed bindings, made once (pino serialises
// bindings at child() time, so a child costs nothing per line).
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger };
export type LogFormat = 'json' | 'pretty';

export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  if (format === 'pretty' && destination === undefined) {
    // In-process and synchronous (no transport thread): lines appear in order with stderr.
    // Loaded only for this format: JSON lines (the default) never compile it.
    const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    const pretty = pinoPretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,svc', sync: true });
    return pino({ level, base: { svc: 'comsipl' } }, pretty);
  }
  return pino({ level, base: { svc: 'comsipl' } }, destination ?? pino.destination({ sync: false }));
}
