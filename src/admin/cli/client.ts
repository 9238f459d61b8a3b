// How the CLI reaches a running server's admin API: the URL and the token come from flags,
// then the environment, then the files the server keeps in its data directory.
//
//   URL:   --http host:port|URL  →  COMSIPL_HTTP  →  <data>/admin-url (written at start)  →  http://127.0.0.1:9060
//   token: COMSIPL_ADMIN_TOKEN  →  --token-file F  →  <data>/admin-token
//   data:  --data DIR  →  COMSIPL_DATA  →  ./data
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PORT, parseHostPort } from '../../config/addresses.js';
import { DEFAULTS } from '../../config/schema.js';
import { ADMIN_URL_FILE } from '../../ops/data-lock.js';
import { TOKEN_FILE, readToken } from '../http/token.js';

/** A failure the CLI prints as one line; `code` is the exit code (1 server side, 2 usage). */
export class CliError extends Error {
  constructor(message: string, readonly code: 1 | 2 = 1) {
    super(message);
  }
}

export interface Endpoint {
  url: string;
  token: string;
  tokenSource: string;
}

function urlOf(text: string): string {
  if (/^https?:\/\//.test(text)) return text.replace(/\/+$/, '');
  if (text === 'off') throw new CliError('--http off: this server has no admin API to talk to', 2);
  const hp = parseHostPort(text);
  if (hp === null) throw new CliError(`--http: '${text}' is not host:port or a URL`, 2);
  return `http://${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

export function resolveEndpoint(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const data = flags.get('--data') ?? (env.COMSIPL_DATA || DEFAULTS.data);
  let url: string;
  const http = flags.get('--http') ?? (env.COMSIPL_HTTP || undefined);
  if (http !== undefined) url = urlOf(http);
  else {
    let written: string | undefined;
    try {
      written = readFileSync(join(data, ADMIN_URL_FILE), 'utf8').trim();
    } catch {
      written = undefined;
    }
    url = written !== undefined && written !== '' ? urlOf(written) : `http://127.0.0.1:${ADMIN_PORT}`;
  }
  if (env.COMSIPL_ADMIN_TOKEN) return { url, token: env.COMSIPL_ADMIN_TOKEN.trim(), tokenSource: 'COMSIPL_ADMIN_TOKEN' };
  const file = flags.get('--token-file') ?? join(data, TOKEN_FILE);
  try {
    return { url, token: readToken(file), tokenSource: file };
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(missing
      ? `no admin token at ${file}: start the server once with --data ${data}, or pass --data/--token-file/COMSIPL_ADMIN_TOKEN`
      : `cannot read the admin token: ${(e as Error).message}`);
  }
}

/** One API call; resolves to the parsed JSON of a 2xx answer, throws CliError otherwise. */
export async function call(ep: Endpoint, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${ep.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ep.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(`no ComSIPL admin API answers at ${ep.url} (${cause}): is the server running, and with this --data or --http?`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (res.status === 401) throw new CliError(`${ep.url} refused the token from ${ep.tokenSource} (another server's data directory?)`);
  if (!res.ok) throw new CliError((json as { error?: string } | null)?.error ?? `HTTP ${res.status}`);
  return json;
}
