// Records written by ComSIPL 0.1, read back as today's: an upgrade keeps its subscriptions.
import type { SubscriptionRecord } from './records.js';

interface LegacySubscription {
  id: string;
  aor: string;
  entity: string;
  event: string;
  eventId: string | null;
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  watcherAor: string;
  remoteTarget: string;
  routeSet: string[];
  localCseq: number;
  cseqReserved: number;
  remoteCseq: number;
  expiresAt: number;
  state: 'active' | 'pending' | 'terminated';
  polite: boolean;
  source: { address: string; port: number };
}

/** Today's record for a stored one of either version; null for one that had already ended. */
export function fromLegacySubscription(v: SubscriptionRecord | LegacySubscription): SubscriptionRecord | null {
  if ('tag' in v && typeof v.tag === 'string') return v;
  const o = v as LegacySubscription;
  if (o.state === 'terminated' || typeof o.localTag !== 'string') return null;
  return {
    tag: o.localTag,
    aor: o.aor,
    event: o.event,
    eventId: o.eventId,
    callId: o.callId,
    remoteTag: o.remoteTag,
    localUri: o.localUri,
    remoteUri: o.remoteUri,
    watcherAor: o.watcherAor,
    entity: o.entity,
    target: o.remoteTarget,
    routes: o.routeSet,
    expiresAt: o.expiresAt,
    remoteCseq: o.remoteCseq,
    cseqReserved: Math.max(o.localCseq, o.cseqReserved),
    state: o.state,
    polite: o.polite,
    source: `${o.source.address} ${o.source.port}`,
  };
}
