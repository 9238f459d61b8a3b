// The Config shape, each field's default, and the error every config check throws.
import type { TransportName } from '../transport/destination.js';

export type NotifyTimeoutPolicy = 'end' | 'keep';
/** 'auto' is only a default: loadConfig resolves it to 'on' or 'off' from the listen address. */
export type AuthMode = 'on' | 'off' | 'auto';

export interface Config {
  host: string;
  port: number;
  data: string;
  /** Domains we serve; empty = any (requests for other domains get 404 when set). */
  domain: string[];
  /** Piscina worker threads; 0 = run the worker tasks inline on the main thread. */
  workers: number;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest datagram accepted; larger → 513. */
  maxMessageSize: number;
  /** What a NOTIFY timeout (408 / Timer F) does to the subscription (Kamailio timeout_rm_subs). */
  notifyTimeout: NotifyTimeoutPolicy;
  /** Bound on requests waiting for parse/actors/commit; past it new requests get 503. */
  maxPending: number;
  /** Digest authentication of REGISTER/PUBLISH/SUBSCRIBE (RFC 3261 §22); always 'on'|'off' once loaded. */
  auth: AuthMode;
  /** Digest realm; '' = the first --domain, else the domain of each request's AoR. */
  realm: string;
  /** Seconds between two 'stats' log lines (0 = none). */
  statsInterval: number;
  /** Rounds of synthetic messages run through the codec after start to warm the JIT (0 = none; core/warm-up.ts). */
  warmUp: number;
  /** 'fsync': each commit is on disk before its 200 OK; 'os': committed to the OS page cache. */
  durability: 'fsync' | 'os';
  /** Challenge algorithms in the order offered (RFC 8760 §2.4: preferred first). */
  authAlgorithms: ('SHA-256' | 'MD5')[];
  /** Users file (HA1 hashes); '' = <data>/users.json. Resolved by loadConfig. */
  users: string;
  /** Watcher rules file; '' = <data>/rules.json. Resolved by loadConfig. */
  rules: string;
  /** New requests per second per source IP; 0 = no per-source limit. */
  rateLimit: number;
  /** Token bucket depth per source; 0 = twice the rate (at least 1). */
  rateBurst: number;
  /** Store writes waiting for their commit before new requests get 503. */
  maxStoreQueue: number;
  /** NOTIFYs queued or in flight (all dialogs) before further ones wait in the backlog. */
  maxNotifies: number;
  /** Shortest time between two state NOTIFYs of one dialog (RFC 3856 §6.10 throttling); 0 = none. */
  notifyMinInterval: number;
  /** Admin listener (HTTP API, /metrics, board): 'host:port', '[v6]:port' or 'off'; '' = the default (adminAddress). */
  http: string;
  /** 'json' lines (default) or 'pretty' (pino-pretty, for terminals). */
  logFormat: 'json' | 'pretty';
  /** SIP timer T1 in ms for our NOTIFY client transactions. Hidden: COMSIPL_TEST_T1_MS only, for tests. */
  timerT1: number;
  /** Listeners turned on; TLS and WSS need --tls-cert and --tls-key. */
  transports: TransportName[];
  /** TCP port; -1 = the UDP port (RFC 3261 §18.2.1: TCP wherever UDP is served). */
  tcpPort: number;
  tlsPort: number;
  wsPort: number;
  wssPort: number;
  /** PEM certificate chain and private key for TLS and WSS. */
  tlsCert: string;
  tlsKey: string;
  /** Connections (TCP, TLS, WS, WSS together, handshakes included) and per source address. */
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Seconds without a byte from a connection before it is closed. */
  idleTimeout: number;
  /** Seconds a message may take from its first byte to its last, and a WebSocket handshake to finish. */
  messageTimeout: number;
  /** Seconds a TLS handshake may take. */
  tlsHandshakeTimeout: number;
  /** Dialog package (RFC 4235): only the most relevant dialog per NOTIFY (Kamailio force_single_dialog). */
  dialogSingle: boolean;
  /** Dialog package: a terminated placeholder dialog when there is none (Kamailio force_dummy_dialog). */
  dialogDummy: boolean;
  /** Resource lists file (RFC 4662); '' = <data>/lists.json. Resolved by loadConfig. */
  lists: string;
  /** User parts of the resource list server URI that take lists in the SUBSCRIBE body (RFC 5367). */
  rlsUsers: string[];
  /** Batching window of partial list NOTIFYs, ms. */
  listBatchMs: number;
  /** Most members of one list (file or request body); more → the file is refused, the SUBSCRIBE gets 413. */
  listMaxEntries: number;
  /** Largest list NOTIFY body, bytes: a larger full state is split into several NOTIFYs. */
  listMaxBody: number;
  /** `Event: Presence` in NOTIFYs of body-list presence subscriptions (liblinphone 5.1 needs it). */
  listEventQuirk: boolean;
  /** 'fdb' (LMDB files in --data) or a Redis/Valkey URL `redis://host:port[/db]` shared by several nodes. */
  store: string;
  /** `host:port` put in our Contact (responses, NOTIFYs): the balancer's address; '' = our own. */
  advertise: string;
  /** Name of the node group sharing one Redis (key prefix); nodes with the same name share presence. */
  cluster: string;
  /** This node's id in the group; '' = the one kept in <data>/node-id (made at first start). */
  nodeId: string;
  /** Seconds a node's lease lasts without renewal: a dead node's dialogs move after about this long. */
  nodeTtl: number;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  host: '0.0.0.0',
  port: 5060,
  data: './data',
  domain: [],
  // Measured in bench/RESULTS.md: on 2 cores one main thread + one worker beats inline
  // only for large batches; inline is the default until a measurement says otherwise.
  workers: 0,
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 3600,
  logLevel: 'info',
  maxMessageSize: 65507,
  notifyTimeout: 'end',
  maxPending: 50000,
  auth: 'auto',
  realm: '',
  durability: 'fsync',
  statsInterval: 60,
  warmUp: 2000,
  // MD5 alone: SIP.js and JsSIP compute MD5 only, SIPp fails on more than one challenge and
  // baresip 1.0 on any but MD5 alone (README "Authentication"); a site can require SHA-256.
  authAlgorithms: ['MD5'] as Config['authAlgorithms'],
  users: '',
  rules: '',
  rateLimit: 0,
  rateBurst: 0,
  maxStoreQueue: 20000,
  maxNotifies: 20000,
  notifyMinInterval: 0,
  http: '',
  logFormat: 'json',
  timerT1: 500,
  transports: ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportName[],
  tcpPort: -1,
  tlsPort: 5061,
  // FreeSWITCH's WebSocket ports (Kamailio's examples use them too); 8080/8443 collide with web servers.
  wsPort: 5066,
  wssPort: 7443,
  tlsCert: '',
  tlsKey: '',
  maxConnections: 10000,
  maxConnectionsPerIp: 1000,
  // Longer than the longest refresh interval (--max-expires 3600): a quiet registered client keeps its connection.
  idleTimeout: 3900,
  messageTimeout: 10,
  tlsHandshakeTimeout: 10,
  dialogSingle: false,
  dialogDummy: false,
  lists: '',
  rlsUsers: ['rls'],
  listBatchMs: 300,
  listMaxEntries: 5000,
  // Fits one UDP datagram with the NOTIFY's headers; TCP (transports) will lift it.
  listMaxBody: 60000,
  listEventQuirk: true,
  store: 'fdb',
  advertise: '',
  cluster: 'comsipl',
  nodeId: '',
  nodeTtl: 5,
});

export class ConfigError extends Error {}
