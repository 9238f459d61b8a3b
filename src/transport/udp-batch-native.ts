// The recvmmsg/sendmmsg implementation of UdpBatchSocket, over the addon in native/udp-batch
// (built at install by scripts/build-native.mjs; absent on other platforms or without a
// compiler, in which case udp-batch.ts picks node:dgram).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Destination } from './destination.js';
import type { OutDatagram, RecvBatch, UdpBatchOptions, UdpBatchSocket } from './udp-batch.js';

interface NativeHandle {
  readonly fd: number;
  readonly port: number;
}

interface NativeUdp {
  open(family: number, host: string, port: number, rcvBuf: number, sndBuf: number, v6only: boolean): NativeHandle;
  recvStart(h: NativeHandle, vlen: number, maxPerWake: number, onBatch: (data: Buffer, meta: Uint32Array, n: number) => void): void;
  /** Returns how many were sent from `start` on, or -errno when the first one failed. */
  sendMany(h: NativeHandle, bufs: Buffer[], addrs: string[], ports: number[], start: number, count: number): number;
  addressText(meta: Uint32Array, n: number, i: number): string;
  close(h: NativeHandle): void;
}

// COMSIPL_UDP_ADDON points at another build of the addon (tests use a missing path to see the fallback).
const ADDON_PATH = process.env['COMSIPL_UDP_ADDON'] ?? fileURLToPath(new URL('../../../native/udp-batch/build/Release/udp_batch.node', import.meta.url));
const DEFAULT_SOCKET_BUFFER = 8 * 1024 * 1024;
const EAGAIN = osConstants.errno.EAGAIN;
const MAX_QUEUED = 65_536; // datagrams waiting for socket-buffer room; beyond it they are dropped (UDP)
const RETRY_MS = 1;

let addon: NativeUdp | null = null;

export function loadNativeUdp(): { ok: true } | { ok: false; reason: string } {
  if (addon !== null) return { ok: true };
  if (process.platform !== 'linux') return { ok: false, reason: `no recvmmsg addon on ${process.platform}` };
  if (!existsSync(ADDON_PATH)) return { ok: false, reason: 'addon not built (npm run build:native)' };
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeUdp;
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `addon failed to load: ${(e as Error).message}` };
  }
}

// Source addresses repeat (a few peers send most traffic): their text is made once.
const v4Text = new Map<number, string>();
const v6Text = new Map<string, string>();
const ADDRESS_CACHE_MAX = 4096;

class NativeRecvBatch implements RecvBatch {
  readonly count: number;
  readonly data: Buffer;
  readonly ends: Uint32Array;
  readonly #meta: Uint32Array;

  constructor(data: Buffer, meta: Uint32Array, n: number) {
    this.count = n;
    this.data = data;
    this.#meta = meta;
    this.ends = meta.subarray(0, n);
  }

  datagram(i: number): Buffer {
    const start = i === 0 ? 0 : this.ends[i - 1]!;
    return this.data.subarray(start, this.ends[i]!);
  }

  source(i: number): Destination {
    const n = this.count;
    const m = this.#meta;
    const port = m[n + i]!;
    if (m[2 * n + i] === 4) {
      const word = m[3 * n + 4 * i]!;
      let text = v4Text.get(word);
      if (text === undefined) {
        // The word holds the four octets in wire order; on a little-endian host the first is lowest.
        text = `${word & 255}.${(word >>> 8) & 255}.${(word >>> 16) & 255}.${word >>> 24}`;
        if (v4Text.size >= ADDRESS_CACHE_MAX) v4Text.clear();
        v4Text.set(word, text);
      }
      return { address: text, port, family: 4 };
    }
    const base = 3 * n + 4 * i;
    const key = `${m[base]},${m[base + 1]},${m[base + 2]},${m[base + 3]}`;
    let text = v6Text.get(key);
    if (text === undefined) {
      text = addon!.addressText(m, n, i);
      if (v6Text.size >= ADDRESS_CACHE_MAX) v6Text.clear();
      v6Text.set(key, text);
    }
    return { address: text, port, family: 6 };
  }
}

export class NativeBatchSocket implements UdpBatchSocket {
  readonly kind = 'native';
  readonly family: 4 | 6;
  readonly port: number;
  readonly #h: NativeHandle;
  readonly #vlen: number;
  readonly #perWake: number;
  // The send queue as parallel arrays: no object per queued datagram.
  #bufs: Buffer[] = [];
  #addrs: string[] = [];
  #ports: number[] = [];
  #flushScheduled = false;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;
  sendErrors = 0;

  private constructor(h: NativeHandle, opts: UdpBatchOptions) {
    this.#h = h;
    this.family = opts.family;
    this.port = h.port;
    this.#vlen = opts.recvBatch ?? 64;
    this.#perWake = opts.maxPerWake ?? 256;
  }

  static open(opts: UdpBatchOptions): Promise<NativeBatchSocket> {
    if (addon === null && !loadNativeUdp().ok) return Promise.reject(new Error('udp-batch addon not loaded'));
    try {
      const h = addon!.open(
        opts.family,
        opts.host,
        opts.port,
        opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
        opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
        opts.ipv6Only ?? false,
      );
      return Promise.resolve(new NativeBatchSocket(h, opts));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  start(onBatch: (batch: RecvBatch) => void): void {
    addon!.recvStart(this.#h, this.#vlen, this.#perWake, (data, meta, n) => onBatch(new NativeRecvBatch(data, meta, n)));
  }

  send(buf: Buffer, dest: Destination): void {
    if (!this.#enqueue(buf, dest)) return;
    if (!this.#flushScheduled && this.#retry === null) {
      this.#flushScheduled = true;
      setImmediate(this.#scheduledFlush);
    }
  }

  sendMany(items: readonly OutDatagram[]): void {
    for (const it of items) this.#enqueue(it.buf, it.dest);
    this.flush();
  }

  #enqueue(buf: Buffer, dest: Destination): boolean {
    if (this.#closed || this.#bufs.length >= MAX_QUEUED) {
      this.sendErrors++;
      return false;
    }
    this.#bufs.push(buf);
    this.#addrs.push(dest.address);
    this.#ports.push(dest.port);
    return true;
  }

  readonly #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  flush(): void {
    if (this.#retry !== null || this.#closed) return;
    const count = this.#bufs.length;
    let i = 0;
    while (i < count) {
      const r = addon!.sendMany(this.#h, this.#bufs, this.#addrs, this.#ports, i, count - i);
      if (r > 0) i += r;
      else if (r === -EAGAIN) {
        // The socket buffer is full: keep the rest and try again shortly (not in a busy loop).
        this.#retry = setTimeout(this.#retryFlush, RETRY_MS);
        break;
      } else {
        this.sendErrors++; // this datagram cannot be sent (bad or unreachable address): skip it
        i++;
      }
    }
    if (i === count) {
      this.#bufs.length = 0;
      this.#addrs.length = 0;
      this.#ports.length = 0;
    } else {
      this.#bufs.splice(0, i);
      this.#addrs.splice(0, i);
      this.#ports.splice(0, i);
    }
  }

  readonly #retryFlush = (): void => {
    this.#retry = null;
    this.flush();
  };

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.flush(); // what was queued in this turn still leaves
    this.#closed = true;
    this.sendErrors += this.#bufs.length;
    addon!.close(this.#h);
    return Promise.resolve();
  }
}
