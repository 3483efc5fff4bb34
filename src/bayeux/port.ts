/**
 * What the rest of Switchboard needs from the Bayeux (CometD) server. The server knows nothing
 * of GWS: it authenticates a request through the injected `authenticate` hook (which maps an HTTP
 * request to an opaque user key), keeps sessions, subscriptions and queues, and delivers messages
 * published to a user key to that user's sessions whose subscriptions match the channel.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The body of a refused websocket upgrade (status 401, 400, 503, …) as the host wants it. */
export type RefusalRenderer = (status: number, message: string) => { contentType: string; body: string };

export interface BayeuxOptions {
  /** how long a /meta/connect is held, ms (advice.timeout); default 30000 */
  timeoutMs: number;
  /** advice.interval, ms; default 0 */
  intervalMs: number;
  /** a session with no connect for interval + maxInterval after the last connect reply expires; default 10000 */
  maxIntervalMs: number;
  /** per-session queue cap (messages); beyond it the session is dropped and its client re-handshakes */
  maxQueue: number;
  /** a websocket whose unsent bytes exceed this (a consumer that stopped reading) is cut; default 8 MiB */
  maxWsBufferedBytes?: number;
  /** sessions one user may hold at once; a handshake beyond it is refused (advice reconnect none); default 100 */
  maxSessionsPerUser?: number;
  /** sessions one websocket may carry; a handshake beyond it is refused; default 10 */
  maxSessionsPerWebSocket?: number;
  /** subscriptions (channels or patterns) one session may hold; a subscribe beyond it is refused; default 100 */
  maxSubscriptionsPerSession?: number;
  /** long-polls held at once per BAYEUX_BROWSER cookie; further ones get advice multiple-clients; 0 = off (default) */
  maxSessionsPerBrowser?: number;
  /** advice.interval given with multiple-clients, ms; default 2000 */
  multiSessionIntervalMs?: number;
  /** body of a refused websocket upgrade; default JSON {statusCode, statusMessage} */
  renderRefusal?: RefusalRenderer;
  /** maps the HTTP request (POST or websocket upgrade) to a user key, or null when not authenticated */
  authenticate: (req: IncomingMessage) => string | null;
  /**
   * told of each /meta/connect that arrives over a websocket, with the Cookie and Authorization
   * headers of its upgrade: the host's sign that the client is still there (a long-poll's connect
   * is its own request, which `authenticate` sees each time); never refuses anything; a hook that
   * throws is ignored
   */
  keepAlive?: (upgradeHeaders: IncomingHttpHeaders) => void;
  /** counters of the host (its metrics); never called with a count of 0; a hook that throws is ignored */
  metrics?: BayeuxMetricsHook;
  /** told when a user's first live session opens (present true) and when their last one ends (false),
   *  synchronously; a cluster node subscribes to the user's notifications only in between; a hook that throws is ignored */
  presence?: (userKey: string, present: boolean) => void;
  /**
   * members the host adds to the `ext` of every successful handshake reply, beside `ack` (which
   * they cannot replace); Bayeux clients ignore ext members they do not know; default none
   */
  handshakeExt?: Readonly<Record<string, string>>;
  /** log sink (pino-like) */
  log?: { info: (o: object, msg?: string) => void; warn: (o: object, msg?: string) => void; debug?: (o: object, msg?: string) => void };
}

/** What the Bayeux server counts for its host, as plain callbacks (the server imports no metrics library). */
export interface BayeuxMetricsHook {
  /** `count` messages were queued for delivery, one per matching session */
  queued?(count: number): void;
  /** a session ended (`reason`) with `count` messages still queued: they are lost */
  dropped?(reason: string, count: number): void;
}

export interface BayeuxServer {
  /** Handle a POST to the mount point or a meta-suffix path; `body` is the parsed JSON (object or array). */
  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void;
  /** Handle an HTTP upgrade for the websocket transport. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Deliver `data` on `channel` to every session of `userKey` subscribed to a matching pattern.
   *  The message is serialised once for all of them. */
  publishToUser(userKey: string, channel: string, data: unknown): void;
  /** Would publishToUser(userKey, channel, …) now reach at least one session? (false while closing) */
  hasSubscriber(userKey: string, channel: string): boolean;
  /** End every session of a user: at once ('now', the default), or after delivering what is already
   *  queued for them ('afterDelivery': logout and HTTP session expiry, so a client still reads the
   *  notifications of its own logout and nothing later). */
  disconnectUser(userKey: string, mode?: 'now' | 'afterDelivery'): void;
  /** Number of live sessions (for diagnostics and benchmarks). */
  sessionCount(): number;
  /** Live sessions by transport: "websocket" when bound to an open websocket, else "long-polling". */
  sessionsByTransport(): Record<'long-polling' | 'websocket', number>;
  /** True until close() is called (readiness). */
  serving(): boolean;
  /** Answer every held connect (with reconnect advice) and close websockets; used at shutdown. */
  close(): Promise<void>;
}
