// The address we put in our Via and Contact for a peer: the listen address when it is a
// specific one, else a routable address of this host in the peer's family (loopback for a
// loopback peer). Shared by every transport (they all listen on the same --host).
import { isIP } from 'node:net';
import os from 'node:os';

export class LocalAddresses {
  readonly #bound4: string | null;
  readonly #bound6: string | null;
  #iface4: string | null = null;
  #iface6: string | null = null;
  #ifacesAt = -Infinity;

  constructor(host: string) {
    const fam = isIP(host);
    this.#bound4 = fam === 4 && host !== '0.0.0.0' ? host : null;
    this.#bound6 = fam === 6 && host !== '::' ? host : null;
  }

  for(family: 4 | 6, peer: string): string {
    // networkInterfaces() is a scan that showed in the SUBSCRIBE profile: re-read once a minute.
    const bound = family === 4 ? this.#bound4 : this.#bound6;
    if (bound !== null) return bound;
    if (peer.startsWith('127.')) return '127.0.0.1';
    if (peer === '::1') return '::1';
    const now = Date.now();
    if (now - this.#ifacesAt > 60_000) {
      this.#ifacesAt = now;
      this.#iface4 = this.#iface6 = null;
      for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list ?? []) {
          if (a.internal) continue;
          if (a.family === 'IPv4') this.#iface4 ??= a.address;
          else this.#iface6 ??= a.address;
        }
      }
    }
    return (family === 4 ? this.#iface4 : this.#iface6) ?? (family === 4 ? '127.0.0.1' : '::1');
  }
}
