// A new SUBSCRIBE to a resource list (RFC 4662 §4): to a list the operator defined (the lists
// file), or to the resource list server's own URI (`sip:rls@<domain>`, --rls-users) with the
// list in the body (RFC 5367: Content-Disposition: recipient-list, application/resource-lists+xml,
// maybe Content-Encoding: deflate — liblinphone's rls_uri). Without `Supported: eventlist` the
// subscriber cannot take a list NOTIFY: 421 with `Require: eventlist` (RFC 4662 §4.1).
import { inflateRawSync, inflateSync } from 'node:zlib';
import { HDR } from '../../codec/sip/header-ids.js';
import { mediaTypeOf } from '../../codec/sip/headers.js';
import { parseNameAddr } from '../../codec/sip/name-addr.js';
import { parseUri, aorOf } from '../../codec/sip/uri.js';
import { parseResourceLists, RESOURCE_LISTS_TYPE, type ListEntry } from '../../codec/resource-lists/parse.js';
import { CSEQ_BLOCK } from '../../actors/subscription.js';
import type { ActorSystem } from '../../actors/system.js';
import type { Request } from '../../core/context.js';
import { line, refuse } from '../../core/reply.js';
import { dialogTag } from '../../core/random.js';
import type { ListSubscribeHook, ResubscribeMsg } from '../../core/subscribe.js';
import { SIP_ERR } from '../../errors.js';
import { aorKey } from '../../policy/aor.js';
import type { ListSubscriptionRecord } from '../../store/records.js';
import type { EventPackage } from '../types.js';
import type { ListActors } from './list-host.js';

export interface ListSubscribeConfig {
  /** User parts of the RLS URI that take lists in the body (default `rls`). */
  rlsUsers: readonly string[];
  listMaxEntries: number;
  /** Body-list presence subscriptions get `Event: Presence` in their NOTIFYs (see below). */
  listEventQuirk: boolean;
}

/**
 * liblinphone 5.1 hands a NOTIFY to its friend list only when its Event token is exactly
 * `Presence` (coreapi/linphonecore.c: strcmp(notified_event, "Presence")), although it subscribes
 * with `Event: presence`; with the RFC's byte-equal token its lists never show a state (found with
 * scripts/try-rls-client.sh). RFC 6665 compares the token byte by byte, so this spelling is kept to
 * the subscriptions that look like liblinphone's — a presence list in the request body (RFC 5367,
 * `Require: recipient-list-subscribe`) — and can be switched off with --list-event-quirk off.
 */
const LIBLINPHONE_EVENT = 'Presence';

/** Inflated list bodies larger than this are refused (a deflate bomb). */
const MAX_INFLATED = 1024 * 1024;

function hasToken(values: string[], token: string): boolean {
  return values.some((v) => v.split(',').some((t) => t.trim().toLowerCase() === token));
}

type Decoded = { ok: true; bytes: Buffer } | { ok: false; status: 415 | 413 | 400 };

/** The body as sent, undone from its Content-Encoding (RFC 3261 §20.12: deflate, identity). */
function decoded(req: Request): Decoded {
  const enc = (req.msg.first(HDR.ContentEncoding) ?? 'identity').trim().toLowerCase();
  const body = req.msg.body;
  if (enc === 'identity' || enc === '') return { ok: true, bytes: body };
  if (enc !== 'deflate' && enc !== 'gzip') return { ok: false, status: 415 };
  try {
    // zlib framing is what "deflate" means in HTTP/SIP; some encoders send raw deflate.
    if (enc === 'gzip') return { ok: true, bytes: inflateSync(body, { maxOutputLength: MAX_INFLATED, finishFlush: 2 }) };
    try {
      return { ok: true, bytes: inflateSync(body, { maxOutputLength: MAX_INFLATED }) };
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw e;
      return { ok: true, bytes: inflateRawSync(body, { maxOutputLength: MAX_INFLATED }) };
    }
  } catch (e) {
    return { ok: false, status: (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 413 : 400 };
  }
}

export function listSubscribeHook(sys: ActorSystem, host: ListActors, cfg: ListSubscribeConfig): ListSubscribeHook {
  const rls = new Set(cfg.rlsUsers.map((u) => u.toLowerCase()));
  return {
    ownerOf: (tag) => host.ownerOf(tag) as { tell(m: ResubscribeMsg): void } | undefined,
    subscribe(req: Request, pkg: EventPackage, ctx): boolean {
      const { msg, now } = req;
      // Lists of state packages only (presence, dialog): their members are presentity actors.
      if (pkg.stateOf !== pkg.name || pkg.memberBody === undefined) return false;
      const ruri = parseUri(msg.uri);
      if (ruri === null || ruri.user === null) return false;
      const listUri = aorOf(ruri);
      const defined = host.file.get(listUri);
      const atRls = rls.has(ruri.user.toLowerCase()) && sys.servesDomain(ruri.host);
      if (defined === undefined && !atRls) return false;
      if (!hasToken(msg.values(HDR.Supported), 'eventlist')) {
        req.reply(refuse(SIP_ERR.EVENTLIST_REQUIRED, line('Require', 'eventlist')));
        return true;
      }
      let entries: readonly ListEntry[];
      let fromBody = false;
      if (defined !== undefined) entries = defined.entries;
      else {
        if (msg.bodyLength === 0 || mediaTypeOf(msg.first(HDR.ContentType)) !== RESOURCE_LISTS_TYPE) {
          req.reply(refuse(msg.bodyLength === 0 ? SIP_ERR.NO_LIST_BODY : SIP_ERR.UNSUPPORTED_TYPE, msg.bodyLength === 0 ? '' : line('Accept', RESOURCE_LISTS_TYPE)));
          return true;
        }
        const d = decoded(req);
        if (!d.ok) {
          req.reply(d.status === 415 ? refuse(SIP_ERR.UNSUPPORTED_ENCODING, line('Accept-Encoding', 'deflate'))
            : refuse(d.status === 413 ? SIP_ERR.BODY_TOO_LARGE : SIP_ERR.BAD_LIST));
          return true;
        }
        const self = aorKey(listUri);
        const parsed = parseResourceLists(d.bytes, {
          maxBytes: MAX_INFLATED, maxDepth: 16, maxEntries: cfg.listMaxEntries,
          // An entry naming this list, or the RLS itself, would be a list inside itself.
          isLoop: (uri) => { const k = aorKey(uri); return k === self || host.file.get(uri) !== undefined || rls.has(k.slice(0, k.indexOf('@')).toLowerCase()); },
        });
        if (!parsed.ok) {
          const why = parsed.reason.replace(/["\\\r\n]/g, ' ').slice(0, 120);
          req.reply(refuse(parsed.status === 413 ? SIP_ERR.BODY_TOO_LARGE : SIP_ERR.BAD_LIST, line('Warning', `399 comsipl "${why}"`)));
          return true;
        }
        entries = parsed.entries;
        fromBody = true;
      }
      const owner = defined?.owner ?? ctx.watcherAor;
      if (defined?.owner !== undefined && defined.owner !== null && aorKey(defined.owner) !== aorKey(ctx.watcherAor)) {
        req.reply(refuse(SIP_ERR.LIST_NOT_YOURS));
        return true;
      }
      const to = parseNameAddr(msg.first(HDR.To) ?? '');
      const from = parseNameAddr(msg.first(HDR.From) ?? '');
      const contact = parseNameAddr(msg.first(HDR.Contact) ?? '');
      if (to === null || from === null || contact === null) {
        req.reply(refuse(contact === null ? SIP_ERR.NO_CONTACT : SIP_ERR.NOT_SIP_URIS));
        return true;
      }
      const routes = msg.values(HDR.RecordRoute);
      const event = pkg.name;
      const rec: ListSubscriptionRecord = {
        tag: dialogTag(now), aor: listUri, event, eventId: null, callId: msg.callId, remoteTag: ctx.remoteTag,
        localUri: `<${to.uri}>`, remoteUri: from.displayName ? `"${from.displayName.replace(/["\\]/g, '\\$&')}" <${from.uri}>` : `<${from.uri}>`,
        watcherAor: ctx.watcherAor, entity: to.uri, target: contact.uri, routes, expiresAt: now + ctx.expires * 1000,
        remoteCseq: msg.cseq, cseqReserved: CSEQ_BLOCK, state: 'active', polite: false, source: `${req.source.address} ${req.source.port}`,
        list: { uri: listUri, owner, entries: fromBody ? [...entries] : null },
      };
      if (fromBody && cfg.listEventQuirk && event === 'presence' && hasToken(msg.values(HDR.Require), 'recipient-list-subscribe')) rec.list.eventToken = LIBLINPHONE_EVENT;
      const ev = msg.first(HDR.Event) ?? '';
      const id = /;\s*id\s*=\s*([^;\s]+)/i.exec(ev);
      if (id !== null) rec.eventId = id[1]!;
      let headers = ctx.headers + line('Require', 'eventlist');
      for (const r of routes) headers += line('Record-Route', r);
      host.create(rec, entries, ctx.expires === 0).tell({ t: 'subscribe', rt: req, fetch: ctx.expires === 0, headers });
      return true;
    },
  };
}
