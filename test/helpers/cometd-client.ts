/**
 * Driving Switchboard's Bayeux server from tests:
 *
 * - `connectClient`: the OFFICIAL CometD JavaScript client (npm `cometd` through
 *   `cometd-nodejs-client`) for one user, over long-polling or websocket, with its own credentials
 *   (Authorization or Cookie headers). Several clients of different users coexist in one process:
 *   long-polling gets the headers as `requestHeaders` and a private cookie store (the adapter's jar is
 *   process-wide); websocket gets them on the upgrade request through a tagged URL (see
 *   `TaggedWebSocket`), because the adapter's WebSocket sends no headers at all.
 * - `startBayeuxHost`: a node:http server hosting `createBayeuxServer` at /api/v2/notifications
 *   with a trivial authenticate hook (x-user header, Basic user:pw-user, or a cookie from `login`),
 *   restartable on the same port.
 * - `rawPost` / `RawWebSocket`: bare Bayeux over HTTP and ws, for protocol-level tests.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { CometD, type Message, type SubscriptionHandle } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import { createBayeuxServer } from '../../src/bayeux/server.js';
import type { BayeuxOptions, BayeuxServer } from '../../src/bayeux/port.js';
import { EventCollector, withTimeout } from './wait.js';

export const MOUNT = '/api/v2/notifications';
const MOUNT_PATH = /^\/api\/v2\/notifications(\/[^/]*)?$/;

// ---------------------------------------------------------------------------------------------
// The official client

/** Credentials for websocket upgrades, by URL tag (the URL's user-info part). */
const wsCredentials = new Map<string, Record<string, string>>();

/**
 * The adapter installs plain `ws.WebSocket` as `window.WebSocket`, and the CometD transport calls
 * `new window.WebSocket(url)`: no headers. This replacement looks the URL's user-info tag up in
 * `wsCredentials`, removes it from the URL and passes that client's headers on the upgrade.
 */
class TaggedWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    const u = new URL(String(url));
    const headers = u.username ? wsCredentials.get(decodeURIComponent(u.username)) : undefined;
    if (headers) {
      u.username = '';
      u.password = '';
    }
    super(headers ? u.toString() : url, protocols, headers ? { headers } : {});
  }
}

let adapted = false;
function ensureAdapted(): void {
  if (adapted) return;
  adapt();
  (globalThis as unknown as { window: { WebSocket: unknown } }).window.WebSocket = TaggedWebSocket;
  adapted = true;
}

export type TransportName = 'long-polling' | 'websocket';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:PORT/api/v2/notifications */
  url: string;
  transport: TransportName;
  /** credentials of this client: { Authorization: 'Basic …' } or { Cookie: 'name=value' } */
  headers?: Record<string, string>;
  /** a name for error messages */
  name?: string;
  /** ms to reach the first successful /meta/connect; default 5000 */
  connectTimeoutMs?: number;
  /** CometD client options */
  backoffIncrement?: number;
  maxBackoff?: number;
  maxNetworkDelay?: number;
}

export interface Delivery {
  channel: string;
  data: any;
}

export interface TestClient {
  readonly name: string;
  readonly cometd: CometD;
  /** every message delivered to this client's subscriptions */
  readonly events: EventCollector<Delivery>;
  /** every reply seen on /meta/handshake, /meta/connect, /meta/subscribe, /meta/unsubscribe, /meta/disconnect */
  readonly meta: EventCollector<Message>;
  /** subscribe (and re-subscribe after every re-handshake); resolves on the server's ack */
  subscribe(channel: string, timeoutMs?: number): Promise<Message>;
  unsubscribe(channel: string, timeoutMs?: number): Promise<Message>;
  disconnect(): Promise<void>;
  clientId(): string | null;
  transportType(): string | null;
}

const liveClients = new Set<TestClient>();
let clientCounter = 0;

/**
 * Handshake and wait for the first successful /meta/connect. Rejects with a clear error (and stops
 * the client) when the handshake or the connect fails or nothing succeeds in time.
 */
export function connectClient(opts: ClientOptions): Promise<TestClient> {
  ensureAdapted();
  const n = ++clientCounter;
  const name = opts.name ?? `client${n}`;
  const cometd = new CometD(name);
  const events = new EventCollector<Delivery>(`${name} deliveries`);
  const meta = new EventCollector<Message>(`${name} meta`);
  const headers = opts.headers ?? {};
  const tag = `sbtest${n}x${randomBytes(4).toString('hex')}`;

  for (const t of cometd.getTransportTypes()) if (t !== opts.transport) cometd.unregisterTransport(t);
  if (!cometd.findTransport(opts.transport)) throw new Error(`${name}: the CometD client has no ${opts.transport} transport`);
  const urls: Record<string, string> = {};
  if (opts.transport === 'long-polling') {
    // a private cookie store: the adapter's default jar is shared by every client of the process
    (cometd.findTransport('long-polling') as unknown as { context: object }).context = { cookieStore: {} };
  } else {
    wsCredentials.set(tag, headers);
    const u = new URL(opts.url);
    u.username = tag;
    urls.websocket = u.toString();
  }
  cometd.configure({
    url: opts.url,
    urls,
    logLevel: 'warn',
    requestHeaders: opts.transport === 'long-polling' ? headers : {},
    ...(opts.backoffIncrement !== undefined ? { backoffIncrement: opts.backoffIncrement } : {}),
    ...(opts.maxBackoff !== undefined ? { maxBackoff: opts.maxBackoff } : {}),
    ...(opts.maxNetworkDelay !== undefined ? { maxNetworkDelay: opts.maxNetworkDelay } : {}),
  });

  const subscriptions = new Map<string, SubscriptionHandle>();
  // the client also hands its own meta replies to local "/**" subscribers: keep deliveries only
  const onDelivery = (m: Message): void => {
    if (!m.channel.startsWith('/meta/')) events.push({ channel: m.channel, data: m.data });
  };
  for (const ch of ['/meta/handshake', '/meta/connect', '/meta/subscribe', '/meta/unsubscribe', '/meta/disconnect']) {
    cometd.addListener(ch, meta.push);
  }
  // The client forgets its subscriptions when it re-handshakes; the application subscribes again
  // in its handshake listener (CometD's documented pattern).
  cometd.addListener('/meta/handshake', (m) => {
    if (!m.successful || !m.reestablish) return;
    cometd.batch(() => {
      for (const ch of subscriptions.keys()) subscriptions.set(ch, cometd.subscribe(ch, onDelivery));
    });
  });

  const client: TestClient = {
    name,
    cometd,
    events,
    meta,
    subscribe(channel, timeoutMs = 3000) {
      const ack = new Promise<Message>((resolve, reject) => {
        const handle = cometd.subscribe(channel, onDelivery, (m) => {
          if (m.successful) {
            subscriptions.set(channel, handle);
            resolve(m);
          } else reject(new Error(`${name}: subscribe ${channel} refused: ${m.error ?? describeFailure(m)}`));
        });
      });
      return withTimeout(ack, timeoutMs, `${name}: subscribe ${channel} ack`);
    },
    unsubscribe(channel, timeoutMs = 3000) {
      const handle = subscriptions.get(channel);
      if (!handle) return Promise.reject(new Error(`${name}: not subscribed to ${channel}`));
      subscriptions.delete(channel);
      const ack = new Promise<Message>((resolve, reject) => {
        cometd.unsubscribe(handle, (m) => {
          if (m.successful) resolve(m);
          else reject(new Error(`${name}: unsubscribe ${channel} refused: ${m.error ?? describeFailure(m)}`));
        });
      });
      return withTimeout(ack, timeoutMs, `${name}: unsubscribe ${channel} ack`);
    },
    disconnect() {
      liveClients.delete(client);
      subscriptions.clear();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wsCredentials.delete(tag);
          resolve();
        };
        const timer = setTimeout(done, 2000);
        if (cometd.isDisconnected()) return done();
        cometd.disconnect(() => done());
      });
    },
    clientId: () => cometd.getClientId(),
    transportType: () => (cometd.getTransport() as { type?: string } | null)?.type ?? null,
  };
  liveClients.add(client);

  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  return new Promise<TestClient>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cometd.removeListener(listener);
      if (!err) return resolve(client);
      void client.disconnect();
      reject(err);
    };
    const timer = setTimeout(
      () => settle(new Error(`${name} (${opts.transport}): not connected within ${timeoutMs} ms, status ${cometd.getStatus()}; ${meta.describe()}`)),
      timeoutMs,
    );
    const listener = cometd.addListener('/meta/connect', (m) => {
      if (m.successful) settle(null);
      else settle(new Error(`${name} (${opts.transport}): /meta/connect failed: ${m.error ?? describeFailure(m)}`));
    });
    cometd.handshake((m) => {
      if (!m.successful) settle(new Error(`${name} (${opts.transport}): handshake failed: ${m.error ?? describeFailure(m)}`));
    });
  });
}

function describeFailure(m: Message): string {
  const f = (m as { failure?: { reason?: unknown; httpCode?: unknown; exception?: unknown } }).failure;
  if (!f) return JSON.stringify(m);
  return `transport failure${f.httpCode ? ` HTTP ${f.httpCode}` : ''}${f.reason ? ` (${String(f.reason)})` : ''}${f.exception ? ` ${String(f.exception)}` : ''}`;
}

/** Disconnect every client still alive (for after() hooks, so a failed test leaves nothing running). */
export async function disconnectAllClients(): Promise<void> {
  await Promise.all([...liveClients].map((c) => c.disconnect()));
}

/** `Authorization: Basic …` accepted by the test host for `user`. */
export function basicAuth(user: string, password = `pw-${user}`): Record<string, string> {
  return { Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') };
}

// ---------------------------------------------------------------------------------------------
// The test host

export interface LogRecord {
  level: 'debug' | 'info' | 'warn';
  msg: string;
  [field: string]: unknown;
}

export interface BayeuxHost {
  readonly port: number;
  /** http://127.0.0.1:PORT/api/v2/notifications */
  readonly url: string;
  /** the current Bayeux server (a new one after restart) */
  readonly bayeux: BayeuxServer;
  /** everything the Bayeux server logged, across restarts */
  readonly logs: EventCollector<LogRecord>;
  /** a cookie credential for `user`: { Cookie: 'SBSESSION=…' } */
  login(user: string): Record<string, string>;
  /** make every credential of `user` invalid from now on */
  revoke(user: string): void;
  /**
   * Close the Bayeux server and the HTTP server, then start new ones on the same port; `whileDown`
   * (e.g. "wait until the client saw a failure") runs while nothing listens.
   */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
}

export type HostOptions = Partial<Omit<BayeuxOptions, 'authenticate' | 'log'>> & {
  /** called with every log record after it was collected; may throw, to test a broken log sink */
  onLog?: (record: LogRecord) => void;
};

export async function startBayeuxHost(hostOptions: HostOptions = {}): Promise<BayeuxHost> {
  const { onLog, ...options } = hostOptions;
  const logs = new EventCollector<LogRecord>('bayeux log');
  const cookies = new Map<string, string>();
  const revoked = new Set<string>();
  const record = (level: LogRecord['level']) => (o: object, msg?: string) => {
    const item: LogRecord = { ...o, level, msg: msg ?? '' };
    logs.push(item);
    onLog?.(item);
  };
  const log = { debug: record('debug'), info: record('info'), warn: record('warn') };

  const authenticate = (req: IncomingMessage): string | null => {
    const user = userOf(req);
    return user && !revoked.has(user) ? user : null;
  };
  const userOf = (req: IncomingMessage): string | null => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [user, pw] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      return user && pw === `pw-${user}` ? user : null;
    }
    const sid = /(?:^|;\s*)SBSESSION=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (sid) return cookies.get(sid) ?? null;
    const x = req.headers['x-user'];
    return typeof x === 'string' && x ? x : null;
  };
  const makeBayeux = (): BayeuxServer =>
    createBayeuxServer({ timeoutMs: 2000, intervalMs: 0, maxIntervalMs: 2000, maxQueue: 100, ...options, authenticate, log });

  let bayeux = makeBayeux();
  let server = await listen(() => bayeux, 0);
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}${MOUNT}`,
    get bayeux() {
      return bayeux;
    },
    logs,
    login(user) {
      const sid = randomBytes(12).toString('hex');
      cookies.set(sid, user);
      return { Cookie: `SBSESSION=${sid}` };
    },
    revoke(user) {
      revoked.add(user);
    },
    async restart(whileDown) {
      await bayeux.close();
      await stop(server);
      if (whileDown) await whileDown();
      bayeux = makeBayeux();
      server = await listen(() => bayeux, port);
    },
    async close() {
      await bayeux.close();
      await stop(server);
    },
  };
}

function listen(current: () => BayeuxServer, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || !MOUNT_PATH.test(path)) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('[{"successful":false,"error":"400::bad_json"}]');
        return;
      }
      current().handlePost(req, res, body);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (MOUNT_PATH.test(path)) current().handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------------------
// Raw Bayeux

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  /** the parsed JSON body */
  body: any;
}

/** POST `body` (serialised unless a string) to `url`. */
export function rawPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* leave the text */
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Handshake over HTTP and answer the first connect (timeout 0); returns the clientId. */
export async function rawHandshake(url: string, headers: Record<string, string>): Promise<string> {
  const hs = await rawPost(url + '/handshake', [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }], headers);
  const clientId = hs.body?.[0]?.clientId;
  if (hs.status !== 200 || !hs.body[0].successful || typeof clientId !== 'string') {
    throw new Error(`raw handshake failed: HTTP ${hs.status} ${JSON.stringify(hs.body)}`);
  }
  const c = await rawPost(url + '/connect', [{ id: 'c0', channel: '/meta/connect', clientId, connectionType: 'long-polling', advice: { timeout: 0 } }], headers);
  if (c.status !== 200 || !c.body[0].successful) throw new Error(`raw first connect failed: HTTP ${c.status} ${JSON.stringify(c.body)}`);
  return clientId;
}

/** A bare websocket speaking Bayeux: every received message (frames are split) lands in `messages`. */
export class RawWebSocket {
  readonly messages = new EventCollector<any>('raw ws messages');
  readonly frames: any[][] = [];
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = JSON.parse(data.toString());
      this.frames.push(parsed);
      for (const m of parsed) this.messages.push(m);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.messages.push({ closed: code });
    });
  }

  /** Open; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawWebSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode }));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  send(messages: unknown): void {
    this.ws.send(typeof messages === 'string' ? messages : JSON.stringify(messages));
  }

  /** The reply with this id (or the first matching message). */
  reply(id: string, timeoutMs = 3000): Promise<any> {
    return this.messages.next((m) => m.id === id, timeoutMs, `reply id ${id}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
