/**
 * The shape of Switchboard's configuration. `loadConfig` (load.ts) is the only reader of
 * defaults, the optional JSON file and the environment; it returns a frozen Config.
 */
import type { ContactCenterSpec } from '../store/port.js';

export interface CometdConfig {
  /** ms a /meta/connect is held */
  timeoutMs: number;
  /** advice.interval ms */
  intervalMs: number;
  /** ms after a connect reply before an idle session expires (in addition to interval) */
  maxIntervalMs: number;
  /** per-session queue cap */
  maxQueue: number;
  /** CometD sessions one user may hold; a handshake beyond it is refused (advice reconnect none); unset = default 100 (the
   *  defaults of the optional cometd keys live in src/bayeux/options.ts DEFAULTS, one source) */
  maxSessionsPerUser?: number;
  /** CometD sessions one websocket may carry; default 10 */
  maxSessionsPerWebSocket?: number;
  /** subscriptions one CometD session may hold; default 100 */
  maxSubscriptionsPerSession?: number;
  /** long-polls held at once per BAYEUX_BROWSER cookie, further ones get advice multiple-clients; 0 = off; default 0 */
  maxSessionsPerBrowser?: number;
  /** advice.interval given with multiple-clients, ms; default 2000 */
  multiSessionIntervalMs?: number;
}

/** Login back-off, the verification queue and the credential cache (docs/security.md section 4). */
export interface AuthConfig {
  /** failed logins in a row for one user name before its attempts are refused; default 5 */
  failuresBeforeBackoff: number;
  /** failed logins in a row from one source address before its attempts are refused; default 20 */
  failuresBeforeSourceBackoff: number;
  /** a failure more than this many seconds after the previous one starts the count again; default 300 */
  failureWindowSec: number;
  /** first refusal delay, ms, doubled for every further failure; default 1000 */
  backoffBaseMs: number;
  /** longest refusal delay, ms; default 30000 */
  backoffMaxMs: number;
  /** password verifications (scrypt) running at once; default 2 */
  verifyConcurrency: number;
  /** verifications queued or running for one source address; default 8 */
  verifyMaxPerSource: number;
  /** verifications waiting for a slot, in all; default 256 */
  verifyMaxQueued: number;
  /** verified credentials kept in memory, least recently used forgotten first; default 10000 */
  credentialCacheSize: number;
  /** a cached credential unused this many seconds is verified again; default 600 */
  credentialCacheTtlSec: number;
}

/**
 * The HTTP connection layer's limits (docs/security.md section 3): timeouts, the connection cap and
 * the lingering close after an early error.
 */
export interface ConnectionsConfig {
  /** ms allowed to receive a request's complete head (request line and headers); default 10000 */
  headersTimeoutMs: number;
  /** ms allowed to receive a complete request, headers and body; default 30000 (a held CometD response is not counted: its request is complete) */
  requestTimeoutMs: number;
  /** ms an idle keep-alive connection is kept open between two requests; default 5000 */
  keepAliveTimeoutMs: number;
  /** ms without any traffic on a connection before it is closed; raised to cometd.timeoutMs + 10000 when lower, so a held long-poll is never cut; default 60000 */
  idleTimeoutMs: number;
  /** open connections at most (HTTP and websocket together); default 4096 */
  maxConnections: number;
  /** above this many open connections, connections without valid credentials are closed first; default 75% of maxConnections */
  softMaxConnections?: number;
  /** above softMaxConnections, a connection that has not authenticated within this many ms is closed; default 5000 */
  unauthenticatedGraceMs: number;
  /** after an early error (413, 431, 400...), ms spent draining the unread request before closing; default 2000 */
  lingerMs: number;
  /** after an early error, unread request bytes drained at most before closing; default 16777216 */
  lingerBytes: number;
  /** largest request head (request line and headers), bytes; default 16384 */
  maxHeaderBytes: number;
}

/** Real telephony: the SIP server and the RTP ports of its media legs (spec/sip.md section 2). */
export interface SipConfig {
  /** SIP port, UDP and TCP; env SWITCHBOARD_SIP_PORT; default 5060; 0 = SIP off */
  port: number;
  /** SIP listen address; env SWITCHBOARD_SIP_HOST; default (unset) = the HTTP host */
  host?: string;
  /** address written into Via, Contact and SDP; env SWITCHBOARD_SIP_ADVERTISED_HOST; default (unset) = the SIP host (a wildcard host advertises 127.0.0.1) */
  advertisedHost?: string;
  /** RTP ports of the media legs, "first-last" in the file and env SWITCHBOARD_RTP_PORTS; default 20000-20999 */
  rtpPorts: { first: number; last: number };
  /** digest challenges offered, in order; default ["SHA-256", "MD5"] (sipp 3.6 needs MD5 first) */
  digestAlgorithms: Array<'SHA-256' | 'MD5'>;
  /** new INVITEs one source address may send per second before 503 + Retry-After, 1-100000; default (unset) 20 */
  invitesPerSecondPerSource?: number;
  /** in-dialog OPTIONS probe of every established dialog, ms, 0 (never) or 1000-3600000; default (unset) 30000 */
  keepaliveMs?: number;
  /** how long a per-call or trunk INVITE may ring before it is cancelled, ms, 1000-3600000; default (unset) 60000 */
  inviteTimeoutMs?: number;
}

/** The mixers (src/media). */
export interface MediaConfig {
  /** mixer worker threads; env SWITCHBOARD_MEDIA_WORKERS; default 1; 0 = mix in the main thread */
  workers: number;
}

/** Call recordings (StartCallRecording). */
export interface RecordingsConfig {
  /** folder of the WAV files (`<callUuid>.wav`); env SWITCHBOARD_RECORDINGS_DIR; default ./data/recordings */
  dir: string;
}

/** The GWS API's parameter policy (docs/compatibility.md "Parameters"). */
export interface ApiConfig {
  /** a body member no operation parameter accepts: "refuse" (statusCode 1 naming it) or "warn" (logged, ignored: for old clients); env SWITCHBOARD_UNKNOWN_PARAMETERS; default "refuse" */
  unknownParameters: 'refuse' | 'warn';
}

export interface Config {
  /** listen address; env HOST; default 127.0.0.1 */
  host: string;
  /** listen port; env PORT; default 8080; 0 = ephemeral */
  port: number;
  /** base of every uri field, e.g. http://127.0.0.1:8080; default derived from host and port */
  publicBaseUrl?: string;
  /** SQLite file, ":memory:", or a postgres:// URL (PostgresStore); env SWITCHBOARD_DB, or SWITCHBOARD_DATABASE_URL (wins); default ./data/switchboard.db */
  database: string;
  /** PostgreSQL only: connections in the pool; env SWITCHBOARD_DATABASE_POOL_SIZE; default 10 */
  databasePoolSize?: number;
  /** the password fingerprint key's file (docs/security.md "Password fingerprints"); env SWITCHBOARD_PASSWORD_KEY_FILE; default password-fingerprint.key beside a SQLite file, ./data/password-fingerprint.key for PostgreSQL, none (a per-process key) for ":memory:" */
  passwordKeyFile?: string;
  /** pino level; env SWITCHBOARD_LOG_LEVEL; default info */
  logLevel: string;
  /** "json" (one pino record per line) or "pretty" (readable lines); env SWITCHBOARD_LOG_FORMAT, argv --log-format; default json */
  logFormat: 'json' | 'pretty';
  /** serve GET /metrics (Prometheus text, no credentials: docs/operations.md); env SWITCHBOARD_METRICS; default true */
  metricsEnabled: boolean;
  /** enforce X-CSRF-TOKEN on cookie-only POST/PUT/DELETE; env SWITCHBOARD_CSRF; default true */
  csrf: boolean;
  /** serve /sim/v1 (admin role); env SWITCHBOARD_SIM_API; default true */
  simApi: boolean;
  /** max request body, bytes; default 65536 */
  bodyLimitBytes: number;
  /** HTTP session idle lifetime, seconds; default 1800 */
  sessionTtlSec: number;
  /** a session's sliding expiry is written to the store at most once per this many seconds; default 60 */
  sessionWriteIntervalSec: number;
  auth: AuthConfig;
  cometd: CometdConfig;
  connections: ConnectionsConfig;
  /** browser origins (exact "scheme://host[:port]") allowed besides the server's own; "*" is refused (credentials); default [] = same origin only */
  allowedOrigins: string[];
  /** mark the session cookie Secure; default true when publicBaseUrl is https, else false */
  cookieSecure?: boolean;
  sip: SipConfig;
  media: MediaConfig;
  recordings: RecordingsConfig;
  api: ApiConfig;
  /** cluster node mode (docs/scale-out.md): present when env SWITCHBOARD_NATS_URL is set; absent = one node, as always */
  cluster?: ClusterConfig;
  /** path of the configuration file that was read, if any */
  configFile?: string;
  /** contact centers described by the file; when absent and the database is empty, the demo is provisioned */
  contactCenters?: ContactCenterSpec[];
}

/** A cluster node's settings (environment only; docs/scale-out.md). */
export interface ClusterConfig {
  /** nats://host:port of the NATS server (JetStream on); env SWITCHBOARD_NATS_URL */
  natsUrl: string;
  /** this node's name in leases and logs; env SWITCHBOARD_NODE_ID; default generated at start */
  nodeId?: string;
  /** keep a hot standby of the contact centers this node does not own; env SWITCHBOARD_STANDBY=on|off; default on */
  standby?: boolean;
}
