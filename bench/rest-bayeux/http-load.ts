/**
 * The load generator of the REST/Bayeux bench section, in its own process so that its CPU is not
 * the server's. REST rows use a raw keep-alive HTTP/1.1 client (one request at a time per
 * connection, bodies framed by Content-Length, as fastify answers): node's http client would
 * cost more CPU than the server it measures. Each connection first sends one request to learn its
 * session cookie, then sends Basic credentials and that cookie on every request, as a GWS client
 * that keeps cookies does. An answer that is not HTTP 200 with `{"statusCode":0` counts as an
 * error (the section fails on any). `restNotified` also waits, after each agent-state POST, for
 * the DeviceStateChangeMessage it causes on the worker's own websocket (a CometD session opened by
 * `openNotified`, or for the bare baseline a plain websocket opened by `openPlain`), so every
 * counted request had its notification delivered. Both take `poll` (see `run`: the generator
 * polls instead of sleeping, so no server pays for waking it). `captureFrames` records the messages one real
 * state change is notified with (the bare baseline sends the same). `openMany` holds thousands of
 * websocket sessions (the memory row).
 */
import net from 'node:net';
import { connectPlainWebSocket, connectWebSocket, type BenchClient, type Delivery } from '../bayeux-client.js';
import { notifyParent, pollWhile, serve } from './child.js';

export interface RequestTemplate {
  method: 'GET' | 'POST';
  path: string;
  /** Authorization header value */
  auth?: string;
  /** JSON bodies used in turn (POST) */
  bodies?: string[];
}

interface Answer {
  status: number;
  head: string;
  body: Buffer;
}

/** One keep-alive connection, one request at a time. */
class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  send(request: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  private onData(d: Buffer): void {
    this.buffer = this.buffer.length === 0 ? d : Buffer.concat([this.buffer, d]);
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    const total = headEnd + 4 + length;
    if (this.buffer.length < total) return;
    const body = this.buffer.subarray(headEnd + 4, total);
    this.buffer = this.buffer.subarray(total);
    const w = this.waiting;
    this.waiting = null;
    w?.resolve({ status: Number(head.slice(9, 12)), head, body });
  }
}

function requestBytes(port: number, t: RequestTemplate, body: string | undefined, cookie: string | undefined): Buffer {
  let head = `${t.method} ${t.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
  if (t.auth) head += `Authorization: ${t.auth}\r\n`;
  if (cookie) head += `Cookie: ${cookie}\r\n`;
  if (body !== undefined) head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(head + '\r\n' + (body ?? ''));
}

const OK_PREFIX = '{"statusCode":0';
const succeeded = (a: Answer): boolean => a.status === 200 && a.body.toString('latin1', 0, OK_PREFIX.length) === OK_PREFIX;

/** A worker: its connection and its pre-built requests (one per body). */
interface Worker {
  connection: RawConnection;
  requests: Buffer[];
}

async function openWorkers(port: number, templates: RequestTemplate[], concurrency: number): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const t = templates[w % templates.length];
      const connection = await RawConnection.open(port);
      // learn the session cookie with a first request (a GET of the same path, or /api/v2/me)
      const first = await connection.send(requestBytes(port, { method: 'GET', path: t.method === 'GET' ? t.path : '/api/v2/me', auth: t.auth }, undefined, undefined));
      if (!succeeded(first)) throw new Error(`warm-up ${t.path}: HTTP ${first.status} ${first.body.toString().slice(0, 200)}`);
      const cookie = /\r\nset-cookie:\s*(JSESSIONID=[^;\r]+)/i.exec(first.head)?.[1];
      const bodies = t.bodies ?? [undefined];
      return { connection, requests: bodies.map((b) => requestBytes(port, t, b, cookie)) };
    }),
  );
}

interface RunResult {
  count: number;
  errors: number;
  firstError?: string;
  seconds: number;
}

/**
 * Run every worker for `seconds`. `expect(w, n)` (if given) is armed before request n of worker w
 * is sent (its notification may arrive before the answer) and awaited after a successful answer.
 * With `poll` the generator never sleeps while it runs: its event loop keeps polling its sockets
 * instead of blocking until one is ready, so a server's write never has to wake it. Without it, a
 * server slow enough to leave the generator idle pays a wake-up of the generator's thread on most
 * of its writes (on this VM a cross-CPU wake-up, 10–15 µs of the server's kernel time per
 * request, measured), which a fast server whose generator is always busy does not: comparing the
 * two would charge the slower one for the generator's idleness (docs/performance.md).
 */
async function run(workers: Worker[], seconds: number, poll: boolean, expect?: (w: number, n: number) => Promise<void>, firstIndex: (w: number) => number = () => 0, lastIndex?: (w: number, n: number) => void): Promise<RunResult> {
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + seconds * 1000;
  let running = true;
  // until every worker is done
  if (poll) pollWhile(() => running);
  await Promise.all(
    workers.map(async (worker, w) => {
      let n = firstIndex(w);
      for (; performance.now() < end; n++) {
        const expected = expect?.(w, n);
        const a = await worker.connection.send(worker.requests[n % worker.requests.length]);
        if (!succeeded(a)) {
          errors++;
          firstError ??= `HTTP ${a.status} ${a.body.toString().slice(0, 300)}`;
          expected?.catch(() => undefined);
          continue;
        }
        if (expected) await expected;
        count++;
      }
      lastIndex?.(w, n);
    }),
  ).finally(() => {
    running = false;
  });
  for (const worker of workers) worker.connection.close();
  return { count, errors, firstError, seconds: (performance.now() - started) / 1000 };
}

/** The next delivery on a client that satisfies `pred`, or a loud failure after 10 s. */
class Inbox {
  private waiter: { pred: (m: Delivery) => boolean; resolve: () => void } | null = null;
  deliveries = 0;
  /** every delivery while this is set (captureFrames sets it, and unsets it when done) */
  recorded: Delivery[] | undefined;
  constructor(client: BenchClient) {
    client.onEvent = (m) => {
      this.deliveries++;
      this.recorded?.push(m);
      if (this.waiter?.pred(m)) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve();
      }
    };
  }
  wait(pred: (m: Delivery) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} notification within 10 s`)), 10_000);
      this.waiter = { pred, resolve: () => (clearTimeout(timer), resolve()) };
    });
  }
}

/** the websocket sessions of the agent-state workers, by server */
const notified = new Map<string, { clients: BenchClient[]; inboxes: Inbox[] }>();
/** the next body of each agent-state worker (by server and credentials), so alternation survives rows */
const nextBody = new Map<string, number>();
let many: BenchClient[] = [];

/** The agent state an agent-state POST body asks for. */
const targetOf = (body: string): string => (JSON.parse(body).operationName === 'Ready' ? 'Ready' : 'NotReady');

serve({
  rest: async (m: { port: number; templates: RequestTemplate[]; concurrency: number; seconds: number; poll: boolean }) =>
    run(await openWorkers(m.port, m.templates, m.concurrency), m.seconds, m.poll),

  openNotified: async (m: { key: string; baseUrl: string; auths: string[]; subscription: string }) => {
    const clients = await Promise.all(m.auths.map((a) => connectWebSocket(m.baseUrl, a, m.subscription)));
    notified.set(m.key, { clients, inboxes: clients.map((c) => new Inbox(c)) });
    return { opened: clients.length };
  },

  /** the bare baseline's workers: one plain websocket each, held under `key` as openNotified does */
  openPlain: async (m: { key: string; baseUrl: string; auths: string[] }) => {
    const clients = await Promise.all(m.auths.map((a) => connectPlainWebSocket(m.baseUrl, a)));
    notified.set(m.key, { clients, inboxes: clients.map((c) => new Inbox(c)) });
    return { opened: clients.length };
  },

  /**
   * The messages (each as its JSON text) each of these agent-state bodies is notified with on
   * worker 0's session of `key`, by operationName: the body is POSTed, and every delivery from then
   * until both its DeviceStateChangeMessage and its ChannelStateChangeMessageV2 with the state
   * asked for have arrived is kept. Run before any row of that worker, with bodies that form one
   * full cycle of its agent states (Ready then NotReady from NotReady), so the rows' alternation
   * (nextBody) finds the agent where it expects it.
   */
  captureFrames: async (m: { key: string; baseUrl: string; auth: string; bodies: string[] }) => {
    if (nextBody.has(m.key + m.auth)) throw new Error('captureFrames: run it before the rows of this worker (it changes its agent state)');
    const inbox = notified.get(m.key)!.inboxes[0];
    const frames: Record<string, string[]> = {};
    for (const body of m.bodies) {
      const target = targetOf(body);
      const arrived = (type: string): boolean =>
        inbox.recorded!.some((d) => d.data?.messageType === type && (d.data.devices?.[0] ?? d.data.channels?.[0])?.userState?.state === target);
      inbox.recorded = [];
      const both = inbox.wait(() => arrived('DeviceStateChangeMessage') && arrived('ChannelStateChangeMessageV2'), `${target} (device and channel)`);
      try {
        const answer = await fetch(m.baseUrl + '/api/v2/me/channels/voice', { method: 'POST', headers: { Authorization: m.auth, 'Content-Type': 'application/json' }, body });
        const text = await answer.text();
        if (!answer.ok || !text.startsWith(OK_PREFIX)) throw new Error(`captureFrames: ${target}: HTTP ${answer.status} ${text}`);
        await both;
        frames[JSON.parse(body).operationName] = inbox.recorded.map((d) => JSON.stringify(d));
      } catch (err) {
        both.catch(() => undefined);
        throw err;
      } finally {
        inbox.recorded = undefined;
      }
    }
    return { frames };
  },

  restNotified: async (m: { key: string; port: number; templates: RequestTemplate[]; seconds: number; poll: boolean }) => {
    const n = notified.get(m.key)!;
    const workers = await openWorkers(m.port, m.templates, m.templates.length);
    const before = n.inboxes.reduce((s, i) => s + i.deliveries, 0);
    const result = await run(workers, m.seconds, m.poll, (w, k) => {
      const bodies = m.templates[w].bodies!;
      const target = targetOf(bodies[k % bodies.length]);
      return n.inboxes[w].wait((d) => d.data?.messageType === 'DeviceStateChangeMessage' && d.data.devices?.[0]?.userState?.state === target, target);
    }, (w) => nextBody.get(m.key + m.templates[w].auth) ?? 0, (w, k) => nextBody.set(m.key + m.templates[w].auth, k));
    const deliveries = n.inboxes.reduce((s, i) => s + i.deliveries, 0) - before;
    return { ...result, deliveries };
  },

  closeNotified: async (m: { key: string }) => {
    await Promise.all((notified.get(m.key)?.clients ?? []).map((c) => c.close()));
    notified.delete(m.key);
    return {};
  },

  openMany: async (m: { baseUrl: string; auths: string[]; subscription: string; batch: number }) => {
    for (let i = 0; i < m.auths.length; i += m.batch) {
      many.push(...(await Promise.all(m.auths.slice(i, i + m.batch).map((a) => connectWebSocket(m.baseUrl, a, m.subscription)))));
    }
    return { opened: many.length };
  },

  closeMany: async () => {
    const all = many;
    many = [];
    for (let i = 0; i < all.length; i += 500) await Promise.all(all.slice(i, i + 500).map((c) => c.close()));
    return {};
  },
});
notifyParent('ready');
