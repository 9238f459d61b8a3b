// The presence.winfo package (RFC 3857): a presentity watches its own watchers; the state is
// the presence actor's dialog list, rendered as application/watcherinfo+xml (RFC 3858), always
// full state, `version` 0 in the first NOTIFY and +1 per NOTIFY (the dialog's CSeq minus one).
import { WATCHERINFO_CONTENT_TYPE } from '../codec/winfo/render.js';
import { watcherInfoBody } from '../core/winfo-body.js';
import type { EventPackage } from './types.js';

export const presenceWinfoPackage: EventPackage = {
  name: 'presence.winfo',
  publishTypes: [],
  notifyType: WATCHERINFO_CONTENT_TYPE,
  stateOf: 'presence',
  authorization: 'self',
  paced: false,
  content: (owner, sub, now) => ({ type: WATCHERINFO_CONTENT_TYPE, body: Buffer.from(watcherInfoBody(owner, sub.entity, sub.cseq - 1, now), 'utf8') }),
};
