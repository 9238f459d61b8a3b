// Byte-writing steps of the response writer: pieces (string or bytes), short runs copied by hand, decimals.

export type Piece = string | Uint8Array;
export const EMPTY = new Uint8Array(0);

export function pieceLength(p: Piece): number {
  return typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
}

// Copies of a few dozen bytes are done by hand: Buffer#copy and TypedArray#set cost more in
// argument checks than the copy itself at these sizes.
const SHORT = 64;

function copyBytes(out: Uint8Array, at: number, src: Uint8Array, s: number, e: number): number {
  if (e - s > SHORT) {
    out.set(src.subarray(s, e), at);
    return at + (e - s);
  }
  for (let i = s; i < e; i++) out[at++] = src[i]!;
  return at;
}

export function put(out: Buffer, at: number, p: Piece): number {
  if (typeof p === 'string') return at + out.write(p, at, 'utf8');
  return copyBytes(out, at, p, 0, p.length);
}

export function copy(out: Buffer, at: number, src: Buffer, s: number, e: number): number {
  return copyBytes(out, at, src, s, e);
}

/** Writes a non-negative integer in decimal. */
export function putInt(out: Buffer, at: number, n: number): number {
  const d = digits(n);
  for (let k = at + d - 1; k >= at; k--) {
    out[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + d;
}

export function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}
