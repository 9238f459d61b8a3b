// application/rlmi+xml (RFC 4662 §5): the root part of a list NOTIFY. One <resource> per list
// member, with one <instance> carrying its subscription state and, when its state document is
// in this NOTIFY, the Content-ID of that part (`cid`, without angle brackets, §5.2).
import { escapeAttr, escapeText } from '../pidf/xml-text.js';

export const NS_RLMI = 'urn:ietf:params:xml:ns:rlmi';
export const RLMI_TYPE = 'application/rlmi+xml';

export interface RlmiInstance {
  id: string;
  state: 'active' | 'pending' | 'terminated';
  /** Subscription-State reason of a terminated instance (RFC 4662 §5.2). */
  reason?: string;
  cid?: string;
}

export interface RlmiResource {
  uri: string;
  name?: string;
  instance: RlmiInstance | null;
}

export interface RlmiList {
  uri: string;
  /** RFC 4662 §5.2: 0 in the first NOTIFY of the subscription, +1 in each one after. */
  version: number;
  fullState: boolean;
  resources: readonly RlmiResource[];
}

export function renderResource(r: RlmiResource): string {
  let out = `<resource uri="${escapeAttr(r.uri)}">`;
  if (r.name !== undefined) out += `<name>${escapeText(r.name)}</name>`;
  const i = r.instance;
  if (i !== null) {
    out += `<instance id="${escapeAttr(i.id)}" state="${i.state}"`;
    if (i.reason !== undefined) out += ` reason="${escapeAttr(i.reason)}"`;
    if (i.cid !== undefined) out += ` cid="${escapeAttr(i.cid)}"`;
    out += '/>';
  }
  return `${out}</resource>\n`;
}

/** The RLMI document, from resources already rendered (they are shared by NOTIFYs). */
export function renderRlmi(l: Omit<RlmiList, 'resources'>, resources: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<list xmlns="${NS_RLMI}" uri="${escapeAttr(l.uri)}" version="${l.version}" fullState="${l.fullState}">\n${resources}</list>\n`;
}
