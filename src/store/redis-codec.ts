// Records as the shared store keeps them (msgpack: about half the bytes of JSON for a
// subscription, and PIDF fragments stay strings), and a turn's batches as the COMMIT script's
// flat argument list (redis-scripts.ts).
import { Packr } from 'msgpackr';
import { pubScope, type BindingRecord, type PublicationRecord, type StoreOp, type SubscriptionRecord } from './records.js';

// Plain maps (no shared record structures): every node and every version reads them alike.
const packr = new Packr({ useRecords: false, moreTypes: false });

// pack() may hand back a view of msgpackr's working buffer: the socket write happens later.
export const encode = (value: unknown): Buffer => Buffer.from(packr.pack(value));
export const decode = <T>(buf: Buffer): T => packr.unpack(buf) as T;

export type Arg = string | Buffer;

/** Appends one batch's part of the COMMIT arguments. */
export function encodeBatch(ops: readonly StoreOp[], out: Arg[]): void {
  let kind = '-';
  let aor = '';
  let expect = '-1';
  let start = 0;
  const first = ops[0];
  if (first !== undefined && first.t === 'check') {
    kind = first.kind === 'pres' ? 'p' : 'r';
    aor = first.aor;
    expect = String(first.rev);
    start = 1;
  }
  out.push(kind, aor, expect, String(ops.length - start));
  for (let i = start; i < ops.length; i++) {
    const op = ops[i]!;
    switch (op.t) {
      case 'putPub':
        out.push('pp', pubScope(op.rec.event, op.rec.aor), op.rec.id, encode(op.rec), String(op.rec.expiresAt));
        break;
      case 'delPub':
        out.push('dp', pubScope(op.event, op.aor), op.id);
        break;
      case 'putSub':
        out.push('ps', op.rec.aor, op.rec.tag, encode(op.rec), String(op.rec.expiresAt));
        break;
      case 'delSub':
        out.push('ds', op.tag);
        break;
      case 'putBindings': {
        let last = 0;
        for (const b of op.bindings) last = Math.max(last, b.expiresAt);
        out.push('rb', op.aor, op.bindings.length === 0 ? '' : encode(op.bindings), String(last));
        break;
      }
      case 'putList':
        out.push('pl', op.rec.tag, encode(op.rec), String(op.rec.expiresAt));
        break;
      case 'delList':
        out.push('dl', op.tag);
        break;
      case 'check':
        throw new Error('a check op must come first in its batch');
    }
  }
}

/** HGETALL's flat [field, value, …] reply of a presentity's publications. */
export function decodePubs(reply: Buffer[], now: number): { rev: number; pubs: PublicationRecord[] } {
  let rev = 0;
  const pubs: PublicationRecord[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field = reply[i]!.toString();
    if (field === 'v') rev = Number(reply[i + 1]!.toString());
    else if (field.startsWith('p:')) {
      const rec = decode<PublicationRecord>(reply[i + 1]!);
      if (rec.expiresAt > now) pubs.push(rec);
    }
  }
  return { rev, pubs };
}

export function decodeBindings(reply: Buffer[], now: number): { rev: number; bindings: BindingRecord[] } {
  let rev = 0;
  let bindings: BindingRecord[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field = reply[i]!.toString();
    if (field === 'v') rev = Number(reply[i + 1]!.toString());
    else if (field === 'b') bindings = decode<BindingRecord[]>(reply[i + 1]!).filter((b) => b.expiresAt > now);
  }
  return { rev, bindings };
}

export function decodeSub(buf: Buffer): SubscriptionRecord {
  return decode<SubscriptionRecord>(buf);
}
