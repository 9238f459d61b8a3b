// Admin API helpers for tests: the token of a test server, and JSON calls with or without it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from './server.js';

export function tokenOf(srv: RunningServer): string {
  return readFileSync(join(srv.data, 'admin-token'), 'utf8').trim();
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

/** One HTTP call to the server's admin listener; `token: null` sends no Authorization. */
export async function adminCall<T = any>(srv: RunningServer, method: string, path: string, opts: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<Answer<T>> {
  const token = opts.token === undefined ? tokenOf(srv) : opts.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined || opts.rawBody !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    body = opts.rawBody ?? JSON.stringify(opts.body);
  }
  const res = await fetch(`${srv.admin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

/** Polls `probe` until it returns a value other than undefined (bounded: no fixed sleeps in tests). */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
