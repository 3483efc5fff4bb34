/**
 * A lean load generator's pieces, for benchmarks that run on the same machine as the server: on two
 * cores every CPU-millisecond the generator spends is taken from the server, so these speak the
 * wire protocols directly instead of through http.Agent and `ws`.
 *
 * Guarantees:
 * - `HttpConnection`: one keep-alive HTTP/1.1 connection with pipelining; requests are written at
 *   once, in call order, and their answers are matched in that order (HTTP/1.1 answers pipelined
 *   requests in order). Answers must carry Content-Length (fastify's do); anything else fails loudly.
 * - `HttpPool`: a fixed set of connections, each request on the one with the fewest in flight.
 * - `connectBayeuxWebSocket`: one CometD websocket session (RFC 6455 client framing, no extensions)
 *   that keeps a /meta/connect outstanding and hands each frame's deliveries to `onFrame` without
 *   parsing them: `countDeliveries` counts them and `deliveriesWith` parses only the deliveries that
 *   contain a given marker. Every delivery the server writes reaches `onFrame` (nothing is dropped or
 *   parsed away), so a caller can still check every notification was received.
 * - `inParallel`: fn for 0..n-1 with at most `width` in flight.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface HttpAnswer {
  status: number;
  body: string;
}

interface Pending {
  resolve: (a: HttpAnswer) => void;
  reject: (e: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection; requests are pipelined and answered in order. The socket is
 * opened by the first request and again after the server closed it while idle (Node closes a
 * connection that sent nothing within headersTimeout, with a 408); a close or an error with
 * requests in flight fails them.
 */
export class HttpConnection {
  private socket: net.Socket | undefined;
  private readonly waiting: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly host: string, private readonly port: number) {}

  get inFlight(): number {
    return this.waiting.length;
  }

  request(method: string, path: string, auth: string, body?: string): Promise<HttpAnswer> {
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\nAuthorization: ${auth}\r\n`;
    this.open().write(body === undefined ? head + '\r\n' : `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): net.Socket {
    if (this.socket) return this.socket;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => this.onData(socket, chunk));
    socket.on('error', (e) => this.drop(socket, e));
    socket.on('close', () => this.drop(socket, new Error('HTTP connection closed by the server')));
    return socket;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const end = this.buffered.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.buffered.toString('latin1', 0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return this.drop(socket, new Error(`HTTP answer without Content-Length: ${head.slice(0, 200)}`));
      const bodyEnd = end + 4 + Number(length[1]);
      if (this.buffered.length < bodyEnd) return;
      const answer = { status: Number(head.slice(9, 12)), body: this.buffered.toString('utf8', end + 4, bodyEnd) };
      this.buffered = this.buffered.subarray(bodyEnd);
      const pending = this.waiting.shift();
      // an answer nobody asked for (the idle connection's 408): this socket is done
      if (!pending) return this.drop(socket, new Error(`HTTP answer without a request: ${head.split('\r\n')[0]}`));
      pending.resolve(answer);
    }
  }

  private drop(socket: net.Socket, e: Error): void {
    if (this.socket !== socket) return;
    socket.destroy();
    this.socket = undefined;
    for (const p of this.waiting.splice(0)) p.reject(e);
  }
}

/**
 * A fixed set of keep-alive connections; each request goes on the one with the fewest in flight.
 * With `perConnection`, a connection holds at most that many requests at the server (1: no
 * pipelining, like http.Agent's maxSockets) and the rest wait here, first come first served.
 */
export class HttpPool {
  private readonly connections: HttpConnection[];
  /** requests waiting for a connection, first come first served (queued[head] is next) */
  private queued: (() => void)[] = [];
  private head = 0;

  constructor(baseUrl: string, size: number, private readonly perConnection = Infinity) {
    const u = new URL(baseUrl);
    this.connections = Array.from({ length: size }, () => new HttpConnection(u.hostname, Number(u.port)));
  }

  request(method: string, path: string, auth: string, body?: string): Promise<HttpAnswer> {
    let best = this.connections[0];
    for (const c of this.connections) if (c.inFlight < best.inFlight) best = c;
    if (best.inFlight < this.perConnection) return this.sent(best.request(method, path, auth, body));
    return new Promise((resolve, reject) => this.queued.push(() => this.request(method, path, auth, body).then(resolve, reject)));
  }

  private sent(answer: Promise<HttpAnswer>): Promise<HttpAnswer> {
    if (this.perConnection === Infinity) return answer;
    const next = () => {
      if (this.head >= this.queued.length) return;
      const start = this.queued[this.head++];
      // drop what was taken once it is most of the array (Array.shift would move the whole queue each time)
      if (this.head > 1024 && this.head * 2 > this.queued.length) {
        this.queued = this.queued.slice(this.head);
        this.head = 0;
      }
      start();
    };
    answer.then(next, next);
    return answer;
  }

  close(): void {
    for (const c of this.connections) c.close();
  }
}

/** run fn for 0..n-1 with at most `width` in flight */
export async function inParallel(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

// ---------------------------------------------------------------- CometD over a raw websocket

/** every delivery of a frame starts with this (the server serialises {channel, data} in that order) */
const DELIVERY_START = '{"channel":"/v2/';
/** every meta message (a reply) names its channel so */
const META_MARK = '"channel":"/meta/';

/** how many deliveries a frame (a JSON array of messages) carries, without parsing it */
export function countDeliveries(frame: string): number {
  let n = 0;
  for (let at = frame.indexOf(DELIVERY_START); at >= 0; at = frame.indexOf(DELIVERY_START, at + DELIVERY_START.length)) n++;
  return n;
}

/**
 * The deliveries of a frame that contain `marker`, each parsed on its own; the others are not parsed.
 * A frame that also carries a meta reply (rare: a connect answer) is parsed whole and all its
 * deliveries are returned, so callers check what they need in the parsed object.
 */
export function deliveriesWith(frame: string, marker: string): any[] {
  const out: any[] = [];
  if (!frame.includes(marker)) return out;
  if (frame.includes(META_MARK)) return (JSON.parse(frame) as any[]).filter((m) => String(m.channel).startsWith('/v2/'));
  let at = frame.indexOf(DELIVERY_START);
  while (at >= 0) {
    const next = frame.indexOf(DELIVERY_START, at + DELIVERY_START.length);
    // a delivery runs to the next one's start (less the comma) or to the array's closing bracket
    const text = next >= 0 ? frame.slice(at, next - 1) : frame.slice(at, frame.lastIndexOf(']'));
    if (text.includes(marker)) out.push(JSON.parse(text));
    at = next;
  }
  return out;
}

export interface RawBayeuxClient {
  /** each text frame that carries deliveries, as the server wrote it */
  onFrame: (frame: string) => void;
  close(): void;
}

const OPCODE = { text: 1, close: 8, ping: 9, pong: 10 } as const;

/** one masked client frame (RFC 6455 5.3: a client masks every frame) */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const headerLength = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  mask.copy(out, headerLength);
  for (let i = 0; i < len; i++) out[headerLength + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/**
 * A CometD session on a raw websocket: upgrade (Basic auth), handshake, subscribe, then one
 * /meta/connect outstanding at a time; resolves once subscribed.
 */
export function connectBayeuxWebSocket(baseUrl: string, auth: string, subscription = '/v2/me/*'): Promise<RawBayeuxClient> {
  const u = new URL(baseUrl);
  const path = '/api/v2/notifications';
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    let upgraded = false;
    let buffered: Buffer = Buffer.alloc(0);
    let clientId = '';
    let id = 0;
    const send = (messages: object[]) => socket.write(clientFrame(OPCODE.text, Buffer.from(JSON.stringify(messages))));
    const connect = (advice?: object) => send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: String(++id), ...(advice ? { advice } : {}) }]);
    const client: RawBayeuxClient = {
      onFrame: () => {},
      close() {
        if (!socket.writable) return;
        send([{ channel: '/meta/disconnect', clientId, id: String(++id) }]);
        socket.end(clientFrame(OPCODE.close, Buffer.alloc(0)));
      },
    };
    // the session's set-up answers, in order: handshake, then subscribe
    const setUp: ((m: any) => void)[] = [
      (hs) => {
        if (!hs.successful) return reject(new Error('ws handshake failed: ' + JSON.stringify(hs)));
        clientId = hs.clientId;
        send([{ channel: '/meta/subscribe', clientId, subscription, id: String(++id) }]);
      },
      (sub) => {
        if (!sub.successful) return reject(new Error('ws subscribe failed: ' + JSON.stringify(sub)));
        connect({ timeout: 0 });
        resolve(client);
      },
    ];
    const onText = (text: string) => {
      // set-up answers and connect answers are rare: parsed whole; a successful connect answer holds the next one
      if (text.includes(META_MARK)) {
        for (const m of JSON.parse(text)) {
          if (m.channel === '/meta/connect') {
            if (m.successful) connect();
          } else if (String(m.channel).startsWith('/meta/')) setUp.shift()?.(m);
        }
      }
      if (text.includes(DELIVERY_START)) client.onFrame(text);
    };
    const onFrames = () => {
      for (;;) {
        if (buffered.length < 2) return;
        const opcode = buffered[0] & 0x0f;
        if ((buffered[0] & 0x80) === 0) return fail(new Error('fragmented websocket frames are not supported by the bench client'));
        let len = buffered[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buffered.length < 4) return;
          len = buffered.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buffered.length < 10) return;
          len = Number(buffered.readBigUInt64BE(2));
          at = 10;
        }
        if (buffered.length < at + len) return;
        const payload = buffered.subarray(at, at + len);
        buffered = buffered.subarray(at + len);
        if (opcode === OPCODE.text) onText(payload.toString('utf8'));
        else if (opcode === OPCODE.ping) socket.write(clientFrame(OPCODE.pong, payload));
        else if (opcode === OPCODE.close) socket.end();
      }
    };
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      if (!upgraded) {
        const end = buffered.indexOf(HEADER_END);
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101')) return fail(new Error(`websocket upgrade refused: ${head.split('\r\n')[0]}`));
        upgraded = true;
        buffered = buffered.subarray(end + 4);
        send([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: String(++id) }]);
      }
      onFrames();
    });
    socket.on('error', (e) => reject(e));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: ${auth}\r\n\r\n`,
    );
  });
}
