// The seam between the admin listener (API, board, metrics gauges) and the running server.
// Everything the operator sees or steers goes through AdminModel; one adapter implements it
// over the server's internals (src/admin/server-model.ts), so a new core re-implements this
// interface in one place and the HTTP side does not change.
//
// Conventions: AoRs are shown as the server keys them ('sip:alice@example.com'); inputs may
// omit the scheme. Times are seconds remaining (expiresIn) or ISO strings. Listings are paged
// by key: `after` is the last key of the previous page (opaque to clients), `next` the cursor
// for the following one or null at the end.

export type PresenceState = 'available' | 'busy' | 'away' | 'on-the-phone' | 'offline';
export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
export type SubscriptionState = 'active' | 'pending' | 'terminated';
/** How an approval is answered: the same three decisions as `comsipl rules`. */
export type ApprovalDecision = 'approve' | 'deny' | 'polite-block';
/** RFC 6665 §4.1.3 reasons an operator may end a subscription with. */
export type EndReason = 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource';

export interface PageRequest {
  limit: number;
  after?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Items matching the filter, all pages together. */
  total: number;
  next: string | null;
}

export interface BindingView {
  contact: string;
  uri: string;
  expiresIn: number;
  q: number | null;
  instance: string | null;
  callId: string;
  transport: Transport;
}

export interface RegistrationView {
  aor: string;
  bindings: BindingView[];
}

export interface WatcherView {
  /** Subscription id: what `kick subscription` and DELETE /api/subscriptions/{id} take. */
  id: string;
  presentity: string;
  watcher: string;
  event: string;
  state: SubscriptionState;
  /** Active but shown a closed document (polite blocking, RFC 5025). */
  politeBlocked: boolean;
  expiresIn: number;
  transport: Transport;
  /** Where NOTIFYs go (the watcher's Contact). */
  target: string;
}

export interface PresentitySummary {
  aor: string;
  state: PresenceState;
  /** The first <note> of the composed document, if any. */
  note: string | null;
  publications: number;
  watchers: number;
  pending: number;
}

export interface PresentityView extends PresentitySummary {
  /** The composed PIDF document every watcher receives (RFC 3856 §6.7). */
  pidf: string;
  publicationList: { etag: string; expiresIn: number; modified: string }[];
}

export interface PendingApproval {
  id: string;
  presentity: string;
  watcher: string;
  expiresIn: number;
}

export interface UserView {
  aor: string;
  realm: string;
  algorithms: string[];
}

export interface ServerInfo {
  version: string;
  startedAt: string;
  sip: { transport: Transport; host: string; port: number }[];
  auth: 'on' | 'off';
  /** Users in the users file (counted whether or not authentication is on). */
  users: number;
  data: string;
}

/** O(1) figures, cheap enough for every scrape. */
export interface Counts {
  registrations: number;
  presentities: number;
  subscriptions: number;
  subscriptionsByEvent: { event: string; transport: Transport; count: number }[];
  pendingRequests: number;
  storeQueue: number;
  notifyBacklog: number;
  notifyInFlight: number;
  received: number;
  malformed: number;
  retransmissions: number;
  overloaded: number;
}

/** What the board's live feed shows. */
export type ChangeEvent =
  | { kind: 'presence'; aor: string; state: PresenceState; note: string | null }
  | { kind: 'registration'; aor: string; bindings: number }
  | { kind: 'watcher'; id: string; presentity: string; watcher: string; event: string; state: SubscriptionState | 'gone' }
  /** Many watchers may have changed at once (rules reloaded): re-read what is shown. */
  | { kind: 'rules' };

export interface RegistrationFilter {
  /** Substring of the AoR. */
  aor?: string | undefined;
  /** Substring of any binding's contact URI. */
  contact?: string | undefined;
}

export interface PresentityFilter {
  aor?: string | undefined;
  state?: PresenceState | undefined;
}

/** A refusal the API turns into a 4xx: 404 unknown thing, 409 conflict, 400 bad input. */
export class AdminError extends Error {
  constructor(readonly status: 400 | 404 | 409 | 503, message: string) {
    super(message);
  }
}

export interface AdminModel {
  /** True once the store is restored and SIP is served. */
  ready(): boolean;
  info(): ServerInfo;
  counts(): Counts;

  registrations(filter: RegistrationFilter, page: PageRequest): Page<RegistrationView>;
  presentities(filter: PresentityFilter, page: PageRequest): Page<PresentitySummary>;
  /** null when the server holds nothing for that AoR. */
  presentity(aor: string): PresentityView | null;
  watchers(presentity: string, page: PageRequest): Page<WatcherView>;
  pendingApprovals(page: PageRequest): Page<PendingApproval>;

  /** Records the decision in the rules file and makes the running server apply it now. */
  decide(presentity: string, watcher: string, decision: ApprovalDecision): void;
  /** Ends a subscription with a final NOTIFY `terminated;reason=…`. */
  endSubscription(id: string, reason: EndReason): void;
  /** Removes one binding (contact URI given) or every binding of the AoR; resolves to how many. */
  removeBindings(aor: string, contact?: string): Promise<number>;

  listUsers(): UserView[];
  addUser(aor: string, password: string, realm?: string): { created: boolean; aor: string; realm: string };
  removeUser(aor: string): boolean;

  /** Live changes for the board; returns the unsubscribe function. */
  onChange(listener: (e: ChangeEvent) => void): () => void;
}
