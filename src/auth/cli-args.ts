// Tiny argv splitter shared by the `comsipl user …` and `comsipl rules …` subcommands.
//
// API:
//   splitArgs(argv: string[], valueFlags: readonly string[]): { positional: string[]; flags: Map<string, string> } | { error: string }
//   interface CliIo { stdin; stdout; stderr }   and   defaultIo(io?: Partial<CliIo>): CliIo
//
// Flags take one value, as `--flag value` or `--flag=value`; an unknown flag, a missing value
// or a repeated flag is a usage error (the CLI answers with one line and exit code 2).
// CliIo exists so tests drive the CLIs with in-memory streams; main passes nothing.

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function defaultIo(io: Partial<CliIo> = {}): CliIo {
  return { stdin: io.stdin ?? process.stdin, stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr };
}

export type SplitArgs = { positional: string[]; flags: Map<string, string> } | { error: string };

export function splitArgs(argv: readonly string[], valueFlags: readonly string[]): SplitArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!valueFlags.includes(name)) return { error: `unknown option '${name}'` };
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) return { error: `${name}: missing value` };
    if (flags.has(name)) return { error: `${name}: given twice` };
    flags.set(name, value);
  }
  return { positional, flags };
}
