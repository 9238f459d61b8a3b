// Request routing after the transaction layer and admission control: authentication of the
// methods that change or reveal state, then the method handler. OPTIONS stays open: it is the
// keep-alive/capability probe of many phones and reveals nothing about users.
import { HDR } from '../codec/sip/header-ids.js';
import type { ActorSystem } from '../actors/system.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ALLOW_HEADER, SIP_ERR } from '../errors.js';
import { aorKey } from '../policy/aor.js';
import type { Request } from './context.js';
import type { Destination } from '../transport/destination.js';
import { line, refuse } from './reply.js';
import { handleRegister } from './register.js';
import { handlePublish } from './publish.js';
import { handleSubscribe, type ListSubscribeHook, type WatcherDecision } from './subscribe.js';

export interface RouterDeps {
  sys: ActorSystem;
  cfg: Readonly<Config>;
  /** null when --auth off. */
  auth: Authenticator | null;
  log: Logger;
  contactFor(req: Request): string;
  authorize(presentityAor: string, watcherAor: string): WatcherDecision;
  /** A dialog created or refreshed over a connection: its NOTIFYs go on that flow. */
  bindFlow?(source: Destination, tag: string): void;
  /** Resource list subscriptions (RFC 4662), when served. */
  lists?: ListSubscribeHook;
}

/** The OPTIONS answer: methods, and from the package registry what we take and notify for. */
function optionsHeaders(d: RouterDeps): string {
  const p = d.sys.packages;
  return line('Allow', ALLOW_HEADER) + line('Accept', p.publishTypes) + line('Allow-Events', p.allowEvents) + (d.lists === undefined ? '' : line('Supported', 'eventlist'));
}

/**
 * RFC 3261 §22 / §10.3 step 3-4: who sent it, and may they act for the AoR it names? A user
 * registers and publishes only their own address of record (third-party registration and
 * publication are refused with 403); subscribing is governed by the watcher rules instead.
 * Sets req.identity; false when a response was sent.
 */
function authenticate(req: Request, d: RouterDeps): boolean {
  if (d.auth === null) return true;
  const { msg } = req;
  const credentials = msg.linesOf(HDR.Authorization);
  for (const l of msg.linesOf(HDR.ProxyAuthorization)) credentials.push(l);
  const r = d.auth.check({ method: msg.method, uri: msg.uri, to: msg.first(HDR.To), from: msg.first(HDR.From), credentials }, req.now);
  if (!r.ok) {
    if (d.log.isLevelEnabled('debug')) d.log.debug({ peer: `${req.source.address}:${req.source.port}`, method: msg.method, why: r.why }, 'challenge');
    let headers = '';
    for (const h of r.headers) headers += line(h.name, h.value);
    req.reply({ status: r.status, reason: r.reason, headers });
    return false;
  }
  if (msg.method === 'REGISTER' || msg.method === 'PUBLISH') {
    const target = msg.method === 'REGISTER' ? msg.first(HDR.To) ?? '' : msg.uri;
    if (aorKey(target) !== r.user) {
      req.reply(refuse(SIP_ERR.NOT_YOUR_AOR));
      return false;
    }
  }
  req.identity = r.user;
  return true;
}

export function routeRequest(req: Request, d: RouterDeps): void {
  switch (req.msg.method) {
    case 'REGISTER':
      if (authenticate(req, d)) handleRegister(req, d.sys, d.cfg);
      return;
    case 'PUBLISH':
      if (authenticate(req, d)) handlePublish(req, d.sys, d.cfg);
      return;
    case 'SUBSCRIBE':
      if (authenticate(req, d)) handleSubscribe(req, d);
      return;
    case 'OPTIONS':
      req.reply({ status: 200, headers: optionsHeaders(d) });
      return;
    default:
      req.reply({ status: 405, headers: line('Allow', ALLOW_HEADER) });
  }
}
