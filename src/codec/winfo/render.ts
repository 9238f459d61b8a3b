// application/watcherinfo+xml documents (RFC 3858) for NOTIFYs of the presence.winfo package
// (RFC 3857). A template and one escape function: these bodies are small and rendered per
// winfo NOTIFY, so no XML builder is involved.
import { escapeAttr, escapeText } from '../pidf/xml-text.js';

export const NS_WATCHERINFO = 'urn:ietf:params:xml:ns:watcherinfo';
export const WATCHERINFO_CONTENT_TYPE = 'application/watcherinfo+xml';

/** RFC 3858 §5: the subscription state of a watcher. */
export type WatcherStatus = 'pending' | 'active' | 'waiting' | 'terminated';
/** RFC 3858 §5: the event that caused the watcher's last state change. */
export type WatcherEvent =
  | 'subscribe' | 'approved' | 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource';

export interface WatcherEntry {
  id: string;
  status: WatcherStatus;
  event: WatcherEvent;
  /** The watcher's URI: the element's content. */
  uri: string;
  displayName?: string;
  /** Seconds the watcher has been subscribed. */
  durationSubscribed?: number;
  /** Seconds until the watcher's subscription expires. */
  expiration?: number;
}

export interface WatcherInfoOptions {
  /** RFC 3858 §4: 0 in the first NOTIFY of a winfo subscription, +1 on each later one. */
  version: number;
  /** RFC 3858 §4: 'full' lists every watcher, 'partial' only the changed ones. */
  state: 'full' | 'partial';
  /** The watched resource (the presentity URI). */
  resource: string;
  /** The watched event package, e.g. 'presence'. */
  package: string;
  watchers: WatcherEntry[];
}

function seconds(name: string, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v) || v < 0) return '';
  return ` ${name}="${Math.floor(v)}"`;
}

/**
 * Renders one watcherinfo document. A negative or fractional `version` is a programming error
 * (the schema type is xs:nonNegativeInteger) and throws a RangeError.
 */
export function renderWatcherInfo(opts: WatcherInfoOptions): string {
  if (!Number.isSafeInteger(opts.version) || opts.version < 0) {
    throw new RangeError(`watcherinfo version must be a non-negative integer, got ${opts.version}`);
  }
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<watcherinfo xmlns="${NS_WATCHERINFO}" version="${opts.version}" state="${opts.state}">\n`
    + `<watcher-list resource="${escapeAttr(opts.resource)}" package="${escapeAttr(opts.package)}">\n`;
  for (const w of opts.watchers) {
    out += `<watcher id="${escapeAttr(w.id)}" status="${w.status}" event="${w.event}"`;
    if (w.displayName !== undefined) out += ` display-name="${escapeAttr(w.displayName)}"`;
    out += seconds('duration-subscribed', w.durationSubscribed);
    out += seconds('expiration', w.expiration);
    out += `>${escapeText(w.uri)}</watcher>\n`;
  }
  return `${out}</watcher-list>\n</watcherinfo>\n`;
}
