// Registration state of one address-of-record, as a pure transition (XState's shape): the
// bindings before, the REGISTER's binding changes, the time → the bindings after, or the
// reason the whole request fails (RFC 3261 §10.3 step 7: all or nothing).
import type { BindingRecord } from '../store/fdb-store.js';

export interface BindingChange {
  contact: string; // name-addr text without the expires param
  uri: string;
  expires: number; // granted seconds; 0 = remove
  q: number | null;
  instance: string | null;
}

export type RegisterTransition =
  | { ok: true; bindings: BindingRecord[] }
  | { ok: false; status: number; reason: string };

export function applyRegister(
  before: readonly BindingRecord[],
  changes: readonly BindingChange[],
  callId: string,
  cseq: number,
  now: number,
  sameUri: (a: string, b: string) => boolean,
): RegisterTransition {
  const after = before.filter((b) => b.expiresAt > now).map((b) => ({ ...b }));
  for (const c of changes) {
    const i = after.findIndex((b) => sameUri(b.uri, c.uri));
    if (i >= 0) {
      const old = after[i]!;
      // §10.3 step 7: same Call-ID and a CSeq not higher than the stored one → abort the update.
      if (old.callId === callId && cseq <= old.cseq) {
        return { ok: false, status: 500, reason: 'Out of Order CSeq for Binding' };
      }
      if (c.expires === 0) after.splice(i, 1);
      else after[i] = { contact: c.contact, uri: c.uri, expiresAt: now + c.expires * 1000, q: c.q, callId, cseq, instance: c.instance };
    } else if (c.expires > 0) {
      after.push({ contact: c.contact, uri: c.uri, expiresAt: now + c.expires * 1000, q: c.q, callId, cseq, instance: c.instance });
    }
  }
  return { ok: true, bindings: after };
}

/** Removes every binding (`Contact: *` with Expires 0). */
export function removeAll(): RegisterTransition {
  return { ok: true, bindings: [] };
}

/** Drops expired bindings; returns null when nothing changed. */
export function expireBindings(before: readonly BindingRecord[], now: number): BindingRecord[] | null {
  const after = before.filter((b) => b.expiresAt > now);
  return after.length === before.length ? null : after;
}
