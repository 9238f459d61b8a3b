// One presentity (address-of-record): its live publications, one per SIP-ETag (RFC 3903), and
// the subscriptions watching it. All its messages run on the main thread one at a time, so a
// PUBLISH is atomic with respect to every other request for the same presentity — the
// per-presentity ordering that FIELD.md's BLF and 412-race reports ask for.
import type { Publication } from '../codec/pidf/types.js';
import type { PublicationRecord } from '../store/fdb-store.js';

export class PresentityActor {
  readonly aor: string;
  readonly pubs = new Map<string, PublicationRecord>();
  /** Subscriptions to the presentity's state (Event: presence). */
  readonly watchers = new Set<string>();
  /**
   * The presentity's own subscriptions to its watcher list (Event: presence.winfo, RFC 3857).
   * Made on first use: few presentities have one, and an empty Set costs ~100 bytes each.
   */
  #winfo: Set<string> | null = null;
  /** Bumped on every change of the composed state; NOTIFY bodies are cached per version. */
  version = 0;

  constructor(aor: string) {
    this.aor = aor;
  }

  get hasWinfo(): boolean {
    return this.#winfo !== null && this.#winfo.size > 0;
  }

  get winfo(): Set<string> {
    this.#winfo ??= new Set<string>();
    return this.#winfo;
  }

  /** Nothing published and nobody watching: the actor can be passivated. */
  get idle(): boolean {
    return this.pubs.size === 0 && this.watchers.size === 0 && (this.#winfo === null || this.#winfo.size === 0);
  }

  /** Live publications, newest modification first (a deterministic composition order). */
  live(now: number): Publication[] {
    const out: Publication[] = [];
    for (const p of this.pubs.values()) if (p.expiresAt > now) out.push({ etag: p.etag, modified: p.modified, doc: p.doc });
    out.sort((a, b) => b.modified - a.modified || (a.etag < b.etag ? -1 : 1));
    return out;
  }

  /** Replaces `oldEtag` (if any) by `rec`; returns the record it replaced. */
  put(rec: PublicationRecord, oldEtag: string | null): PublicationRecord | undefined {
    const prev = oldEtag === null ? undefined : this.pubs.get(oldEtag);
    if (oldEtag !== null) this.pubs.delete(oldEtag);
    this.pubs.set(rec.etag, rec);
    return prev;
  }
}

/** Two documents carry the same presence when their serialized elements are equal. */
export function sameDocument(a: PublicationRecord['doc'], b: PublicationRecord['doc']): boolean {
  if (a.entity !== b.entity || a.elements.length !== b.elements.length) return false;
  for (let i = 0; i < a.elements.length; i++) if (a.elements[i]!.xml !== b.elements[i]!.xml) return false;
  return true;
}
