// pino root logger: JSON lines to stdout. Components take children with fixed bindings,
// made once (pino serialises bindings at child() time, so a child costs nothing per line).
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { svc: 'comsipl' } }, destination ?? pino.destination({ sync: false }));
}
