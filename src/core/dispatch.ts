// Request routing after the transaction layer and admission control: authentication of the
// methods that change or reveal state, then the method handler. OPTIONS stays open: it is the
// keep-alive/capability probe of many phones and reveals nothing about users.
import { getHeader } from '../codec/sip/headers.js';
import type { ActorSystem } from '../actors/system.js';
import type { Notifier } from '../actors/notifier.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { ALLOW_HEADER } from '../errors.js';
import { aorKey } from '../policy/aor.js';
import type { RequestContext } from './context.js';
import { handleRegister } from './register.js';
import { handlePublish, PIDF_TYPE } from './publish.js';
import { handleSubscribe, ALLOW_EVENTS, type WatcherDecision } from './subscribe.js';

export interface RouterDeps {
  sys: ActorSystem;
  notifier: Notifier;
  cfg: Readonly<Config>;
  /** null when --auth off. */
  auth: Authenticator | null;
  log: Logger;
  contactFor(ctx: RequestContext): string;
  authorize(presentityAor: string, watcherAor: string): WatcherDecision;
}

/**
 * RFC 3261 §22 / §10.3 step 3-4: who sent it, and may they act for the AoR it names? A user
 * registers and publishes only their own address of record (third-party registration and
 * publication are refused with 403); subscribing is governed by the watcher rules instead.
 * Sets ctx.identity; false when a response was sent.
 */
function authenticate(ctx: RequestContext, d: RouterDeps): boolean {
  if (d.auth === null) return true;
  const r = d.auth.check(ctx.req, ctx.now);
  if (!r.ok) {
    if (d.log.isLevelEnabled('debug')) d.log.debug({ peer: `${ctx.source.address}:${ctx.source.port}`, method: ctx.req.method, why: r.why }, 'challenge');
    ctx.reply(r.status, { reason: r.reason, headers: r.headers });
    return false;
  }
  const method = ctx.req.method;
  if (method === 'REGISTER' || method === 'PUBLISH') {
    const target = method === 'REGISTER' ? getHeader(ctx.req, 'To') ?? '' : ctx.req.uri;
    if (aorKey(target) !== r.user) {
      ctx.reply(403, { reason: 'Forbidden - not your address of record' });
      return false;
    }
  }
  ctx.identity = r.user;
  return true;
}

export function routeRequest(ctx: RequestContext, d: RouterDeps): void {
  switch (ctx.req.method) {
    case 'REGISTER':
      if (authenticate(ctx, d)) handleRegister(ctx, d.sys, d.cfg);
      return;
    case 'PUBLISH':
      if (authenticate(ctx, d)) handlePublish(ctx, d.sys, d.cfg, d.notifier);
      return;
    case 'SUBSCRIBE':
      if (authenticate(ctx, d)) handleSubscribe(ctx, d);
      return;
    case 'OPTIONS':
      ctx.reply(200, {
        headers: [
          { name: 'Allow', value: ALLOW_HEADER },
          { name: 'Accept', value: PIDF_TYPE },
          { name: 'Allow-Events', value: ALLOW_EVENTS },
        ],
      });
      return;
    default:
      ctx.reply(405, { headers: [{ name: 'Allow', value: ALLOW_HEADER }] });
  }
}
