// The generator's requests as templates (template.ts), compiled once per socket: only the
// transaction id, the call number and, in a dialog, its tags are written per request.
// User names are `<role><shard prefix><call number in hex>` (fan-out watchers add `w<index>`),
// so every AoR, Call-ID, tag and branch is unique within the run and the shard.
import { hostPort, type Endpoint } from './messages.js';
import {
  DLG_GEN, DLG_SLOT, fixedLength, IDX, N, S0, S1, S2, S3, sip, SipTemplate, TX_GEN, TX_SLOT, type Part,
} from './template.js';

/** Who a user is: register, publish, subscribe's watcher/presentity, fan-out's presentity/watcher, mixed. */
export type Role = 'r' | 'p' | 'w' | 's' | 'f' | 'fw' | 'm';

export function userName(role: Role, prefix: string, n: number, idx: number): string {
  const num = (n >>> 0).toString(16).padStart(8, '0');
  return role === 'fw' ? `f${prefix}${num}w${(idx >>> 0).toString(16).padStart(4, '0')}` : `${role}${prefix}${num}`;
}

/** The PIDF note that marks the first (`a`) or second (`b`) state a call publishes. */
export function markerOf(letter: 'a' | 'b', prefix: string, n: number): Buffer {
  return Buffer.from(`${letter}${prefix}${(n >>> 0).toString(16).padStart(8, '0')}`, 'latin1');
}

const UA = 'User-Agent: comsipl-load\r\n';

export class RequestTemplates {
  readonly #ep: Endpoint;
  readonly #prefix: string;
  readonly #hp: string;
  readonly #cache = new Map<string, SipTemplate>();

  constructor(ep: Endpoint, prefix: string) {
    this.#ep = ep;
    this.#prefix = prefix;
    this.#hp = hostPort(ep.localHost, ep.localPort);
  }

  #user(role: Role): Part[] {
    const p = this.#prefix;
    return role === 'fw' ? sip`f${p}${N}w${IDX}` : sip`${role}${p}${N}`;
  }

  #uri(role: Role): Part[] {
    return ['sip:', ...this.#user(role), `@${this.#ep.domain}`];
  }

  /** Via with `;rport` (RFC 3581 §3) and the out-of-dialog Call-ID/tag, all from the transaction id. */
  #via(): Part[] {
    return sip`Via: SIP/2.0/UDP ${this.#hp};branch=z9hG4bK${this.#prefix}${TX_SLOT}${TX_GEN};rport\r\nMax-Forwards: 70\r\n`;
  }

  #once(key: string, build: () => Part[]): SipTemplate {
    let t = this.#cache.get(key);
    if (t === undefined) {
      t = new SipTemplate(build());
      this.#cache.set(key, t);
    }
    return t;
  }

  /** REGISTER for one binding (RFC 3261 §10.2); expires 0 removes it. */
  register(role: Role, expires: number): SipTemplate {
    return this.#once(`R${role}${expires}`, () => {
      const p = this.#prefix;
      const uri = this.#uri(role);
      return [
        `REGISTER sip:${this.#ep.domain} SIP/2.0\r\n`, ...this.#via(),
        'From: <', ...uri, ...sip`>;tag=${p}${TX_SLOT}${TX_GEN}\r\n`, 'To: <', ...uri, '>\r\n',
        ...sip`Call-ID: ${p}${TX_SLOT}${TX_GEN}@load\r\nCSeq: 1 REGISTER\r\n`,
        'Contact: <sip:', ...this.#user(role), `@${this.#hp}>\r\nExpires: ${expires}\r\n${UA}Content-Length: 0\r\n\r\n`,
      ];
    });
  }

  /**
   * PUBLISH (RFC 3903): initial (`ifMatch` false) or with SIP-If-Match from S0 (§4.2-4.4); a
   * PIDF body (RFC 3863) in state `basic` whose note is the call's marker, or no body.
   */
  publish(role: Role, expires: number, ifMatch: boolean, basic: 'open' | 'closed' | null): SipTemplate {
    return this.#once(`P${role}${expires}${ifMatch}${basic}`, () => {
      const p = this.#prefix;
      const uri = this.#uri(role);
      const body: Part[] = basic === null ? [] : [
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="', ...uri, '">\r\n',
        `<tuple id="t1"><status><basic>${basic}</basic></status><contact>`, ...uri, '</contact>',
        ...sip`<note>${basic === 'open' ? 'a' : 'b'}${p}${N}</note></tuple>\r\n</presence>\r\n`,
      ];
      return [
        'PUBLISH ', ...uri, ' SIP/2.0\r\n', ...this.#via(),
        'From: <', ...uri, ...sip`>;tag=${p}${TX_SLOT}${TX_GEN}\r\n`, 'To: <', ...uri, '>\r\n',
        ...sip`Call-ID: ${p}${TX_SLOT}${TX_GEN}@load\r\nCSeq: 1 PUBLISH\r\nEvent: presence\r\nExpires: ${expires}\r\n`,
        ...(ifMatch ? sip`SIP-If-Match: ${S0}\r\n` : []),
        basic === null ? '' : 'Content-Type: application/pidf+xml\r\n',
        `${UA}Content-Length: ${fixedLength(body)}\r\n\r\n`, ...body,
      ];
    });
  }

  /** Initial SUBSCRIBE to the presentity's AoR (RFC 6665 §4.1.2.1); the dialog id is the transaction id. */
  subscribe(watcher: Role, presentity: Role, expires: number): SipTemplate {
    return this.#once(`S${watcher}${presentity}${expires}`, () => {
      const p = this.#prefix;
      const target = this.#uri(presentity);
      return [
        'SUBSCRIBE ', ...target, ' SIP/2.0\r\n', ...this.#via(),
        'From: <', ...this.#uri(watcher), ...sip`>;tag=${p}${TX_SLOT}${TX_GEN}\r\n`, 'To: <', ...target, '>\r\n',
        ...sip`Call-ID: ${p}${TX_SLOT}${TX_GEN}@load\r\nCSeq: 1 SUBSCRIBE\r\n`,
        'Contact: <sip:', ...this.#user(watcher), `@${this.#hp}>\r\n`,
        `Event: presence\r\nAccept: application/pidf+xml\r\nExpires: ${expires}\r\n${UA}Content-Length: 0\r\n\r\n`,
      ];
    });
  }

  /**
   * In-dialog SUBSCRIBE (refresh, or Expires 0 to end it, RFC 6665 §4.1.2.3): Request-URI S0
   * (the remote target), To-tag S1, CSeq S2, Expires S3; Call-ID and From-tag from the dialog id.
   */
  subscribeInDialog(watcher: Role, presentity: Role): SipTemplate {
    return this.#once(`D${watcher}${presentity}`, () => {
      const p = this.#prefix;
      return [
        ...sip`SUBSCRIBE ${S0} SIP/2.0\r\n`, ...this.#via(),
        'From: <', ...this.#uri(watcher), ...sip`>;tag=${p}${DLG_SLOT}${DLG_GEN}\r\n`,
        'To: <', ...this.#uri(presentity), ...sip`>;tag=${S1}\r\n`,
        ...sip`Call-ID: ${p}${DLG_SLOT}${DLG_GEN}@load\r\nCSeq: ${S2} SUBSCRIBE\r\n`,
        'Contact: <sip:', ...this.#user(watcher), `@${this.#hp}>\r\n`,
        ...sip`Event: presence\r\nAccept: application/pidf+xml\r\nExpires: ${S3}\r\n${UA}Content-Length: 0\r\n\r\n`,
      ];
    });
  }
}
