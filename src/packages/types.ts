// The event-package seam (RFC 6665 §7, DESIGN.md §6): one module per package behind this one
// interface. A package says its name, the bodies it accepts in PUBLISH and offers in NOTIFY,
// which presentity actor holds the state it reports (its own, or another package's: winfo
// reports the presence actor's watchers), who may subscribe, whether --notify-min-interval may
// hold its NOTIFYs, and how a NOTIFY body (and a list member's part) is made from that actor's
// state. `Allow-Events`, `Accept`, 489 and 415 answers come from the registry of these modules.
// Adding a package is adding a module and one line in registry.ts.
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { Sub } from '../actors/subscription.js';
import type { StateRules, PubDoc } from '../actors/state-rules.js';
import type { Request } from '../core/context.js';

/** What a NOTIFY carries (the notifier writes Content-Type only when there is a body). */
export interface NotifyContent {
  type: string | null;
  body: Buffer | null;
  /** Extra header lines (e.g. `Require: eventlist\r\n`). */
  extra?: string;
  /** The Event token to write instead of the dialog's (a client quirk: see list-subscribe.ts). */
  event?: string;
}

/** Bodies shared by every NOTIFY rendered in one notifier turn (keyed by owner). */
export type TurnCache = Map<object, unknown>;

export type BodyParse = { ok: true; doc: PubDoc } | { ok: false; reason: string; status?: number };

export interface EventPackage {
  /** The Event token (RFC 6665 §7.2). */
  readonly name: string;
  /** Media types accepted in PUBLISH; empty = no publications (the state comes from elsewhere). */
  readonly publishTypes: readonly string[];
  /** The body type of its NOTIFYs: what a SUBSCRIBE's Accept must allow. */
  readonly notifyType: string;
  /** The package whose presentity actor holds the reported state. */
  readonly stateOf: string;
  /** 'rules': the watcher rules decide (RFC 3856 §5); 'self': the presentity only (RFC 3857 §5.2). */
  readonly authorization: 'rules' | 'self';
  /** May --notify-min-interval hold state NOTIFYs (RFC 3856 §6.10)? Never for BLF. */
  readonly paced: boolean;
  /** The actor-side rules of a state package (stateOf === name). */
  readonly rules?: StateRules;
  /** Parses a PUBLISH body (publishTypes non-empty). */
  parse?(req: Request): BodyParse;
  /** The NOTIFY body of `sub`, whose state `owner` holds. */
  content(owner: PresentityActor, sub: Sub, now: number, turn: TurnCache): NotifyContent;
  /**
   * A list member's state as the list actor keeps it: composed once per change and shared by
   * every list that holds the member (RFC 4662 internal watchers). State packages only.
   */
  memberState?(owner: PresentityActor, now: number): string;
  /** One list part's document from a member's state (its entity, and the list NOTIFY's version). */
  memberBody?(entity: string, state: string, version: number): string;
  /** A member's document when the list owner is shown the neutral state (polite blocking). */
  neutralBody?(entity: string, version: number): string;
}
