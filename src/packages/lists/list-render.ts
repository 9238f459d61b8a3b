// The body of one list NOTIFY (RFC 4662 §5): a multipart/related whose root is the RLMI
// document and whose other parts are the members' state documents, one per member carried.
// Which members a NOTIFY carries is planned by the actor (full state in chunks no larger than
// the cap, or what changed); this module only writes them.
import { multipartRelatedType, renderMultipart, type MimePart } from '../../codec/multipart.js';
import { RLMI_TYPE, renderResource, renderRlmi, type RlmiInstance } from '../../codec/rlmi/render.js';
import type { EventPackage, NotifyContent } from '../types.js';
import type { Member } from './list-state.js';

export interface ListNotify {
  listUri: string;
  tag: string;
  version: number;
  fullState: boolean;
  members: readonly Member[];
  pkg: EventPackage;
}

const EXTRA = 'Require: eventlist\r\n';

/** Estimated bytes a member adds to a NOTIFY (RLMI resource + its part): for chunking only. */
export function memberCost(m: Member): number {
  return m.uri.length * 2 + 260 + (m.state === null ? 0 : m.state.length);
}

function instanceOf(m: Member, cid: string): { instance: RlmiInstance; hasPart: boolean } {
  const id = `r${m.idx}`;
  if (m.aor === null) return { instance: { id, state: 'terminated', reason: 'noresource' }, hasPart: false };
  switch (m.decision) {
    case 'block':
      return { instance: { id, state: 'terminated', reason: 'rejected' }, hasPart: false };
    case 'confirm':
      return { instance: { id, state: 'pending' }, hasPart: false };
    default:
      // Not reported yet (a restart, a member whose actor is busy): pending until it is.
      if (m.state === null && m.decision === 'allow') return { instance: { id, state: 'pending' }, hasPart: false };
      return { instance: { id, state: 'active', cid }, hasPart: true };
  }
}

export function renderListNotify(n: ListNotify, host: string): NotifyContent {
  const boundary = `cs${n.tag}v${n.version}`;
  const rootCid = `list.${n.tag}@${host}`;
  let resources = '';
  const parts: MimePart[] = [];
  for (const m of n.members) {
    const cid = `r${m.idx}.${n.tag}@${host}`;
    const { instance, hasPart } = instanceOf(m, cid);
    resources += renderResource({ uri: m.uri, ...(m.name === undefined ? {} : { name: m.name }), instance });
    if (!hasPart) continue;
    const doc = m.decision === 'polite-block' || m.state === null
      ? n.pkg.neutralBody!(m.uri, n.version)
      : n.pkg.memberBody!(m.uri, m.state, n.version);
    parts.push({
      headers: `Content-Transfer-Encoding: binary\r\nContent-Id: ${cid}\r\nContent-Type: ${n.pkg.notifyType}\r\n`,
      body: Buffer.from(doc, 'utf8'),
    });
  }
  const rlmi = renderRlmi({ uri: n.listUri, version: n.version, fullState: n.fullState }, resources);
  parts.unshift({ headers: `Content-Transfer-Encoding: binary\r\nContent-Id: ${rootCid}\r\nContent-Type: ${RLMI_TYPE}\r\n`, body: Buffer.from(rlmi, 'utf8') });
  return { type: multipartRelatedType(boundary, RLMI_TYPE, rootCid), body: renderMultipart(boundary, parts), extra: EXTRA };
}
