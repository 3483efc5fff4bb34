/**
 * The websocket transport (`ws` in noServer mode). The upgrade request is authenticated once
 * (401 on the raw socket when the hook says no); every frame in either direction is a JSON array
 * of messages. Replies other than /meta/connect go out at once; the connect is held as the
 * heartbeat while deliveries are pushed as frames as soon as they are queued (with the ack
 * extension they wait for the connect). A connect answer is one frame: deliveries first, the
 * connect reply last. Frames arriving after close() began are processed against the emptied
 * registry (402 / server closing) and answered only while the socket is still open.
 *
 * Every refused upgrade (not authenticated, closing, malformed websocket handshake, internal
 * failure) is answered by this module, never by `ws`, with the body of the `renderRefusal` option
 * (default: JSON {statusCode, statusMessage}, Content-Type application/json). The message, close
 * and error callbacks of a socket are guarded: an exception is logged and the server carries on.
 *
 * Deliveries (the hot path) are written as whole frames by this module: the frame header and the
 * JSON array of the queued messages as one chunk, one socket write (`ws.send` would write the
 * header and the payload as two chunks, a writev, after converting the string). The chunk is a
 * latin1 string (one character per byte, header included) when every message is ASCII, which is
 * what JSON of ASCII data is: Node writes such a string to the socket from the string itself, with
 * no Buffer made and filled in JS (≈ 0.5 µs of CPU less per frame over 200 loopback sockets);
 * otherwise a Buffer holding the UTF-8. Either way the bytes on the wire are the same. This is
 * safe because compression is off (`perMessageDeflate: false`, so `ws` never holds frames back) and
 * every frame is written whole and synchronously, so our frames and `ws`'s own (replies, pings,
 * close) never interleave; nothing is written once the socket is no longer OPEN, and the bytes
 * count in `bufferedAmount` like any other (the slow-consumer cut still sees them).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { BayeuxEngine } from './engine.js';
import { BAD_MESSAGE_BODY, META, frame, toMessages } from './messages.js';
import { processBatch } from './meta.js';
import { guarded } from './options.js';
import type { RefusalRenderer } from './port.js';
import type { Session, WsLink } from './session.js';

/** Largest accepted frame. */
const MAX_PAYLOAD = 1024 * 1024;
/** How long close() waits for a closing handshake before cutting sockets. */
const CLOSE_GRACE_MS = 1000;

/** HTTP reason phrases of the refusals this module makes. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  426: 'Upgrade Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Header characters that would split the response (from a renderer's content type). */
const HEADER_BREAK = /[\r\n]/g;

function refuse(socket: Duplex, render: RefusalRenderer, status: number, message: string): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  let rendered: { contentType: string; body: string };
  try {
    rendered = render(status, message);
    if (typeof rendered?.body !== 'string' || typeof rendered.contentType !== 'string') throw new TypeError('renderRefusal must return {contentType, body} strings');
  } catch {
    rendered = { contentType: 'application/json', body: JSON.stringify({ statusCode: status, statusMessage: message }) };
  }
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\n` +
    `Content-Type: ${rendered.contentType.replace(HEADER_BREAK, '')}\r\nContent-Length: ${Buffer.byteLength(rendered.body)}\r\n\r\n`;
  socket.end(head + rendered.body);
  setTimeout(() => socket.destroy(), 100).unref();
}

/** RFC 6455 4.2.1: a GET with Upgrade: websocket, Connection: upgrade, a 16-byte base64 key and version 13 (8 accepted as `ws` does). */
const UPGRADE_CHECKS: ReadonlyArray<[(req: IncomingMessage) => boolean, number, string]> = [
  [(req) => req.method === 'GET', 400, 'websocket upgrade must be a GET'],
  [(req) => (req.headers.upgrade ?? '').toLowerCase() === 'websocket', 400, 'Upgrade header must be websocket'],
  [(req) => /^[+/0-9A-Za-z]{22}==$/.test((req.headers['sec-websocket-key'] ?? '').trim()), 400, 'missing or invalid Sec-WebSocket-Key'],
  [(req) => ['8', '13'].includes(String(req.headers['sec-websocket-version'] ?? '')), 426, 'Sec-WebSocket-Version must be 13'],
  [(req) => /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*)?$/.test(String(req.headers['sec-websocket-protocol'] ?? '').trim()), 400, 'invalid Sec-WebSocket-Protocol'],
];

/** The first failed websocket-handshake check, or null. */
function malformedUpgrade(req: IncomingMessage): [number, string] | null {
  for (const [ok, status, message] of UPGRADE_CHECKS) if (!ok(req)) return [status, message];
  return null;
}

/** The header of an unmasked, final text frame (RFC 6455 5.2) of `length` payload bytes, one latin1 character per byte. */
function textFrameHeader(length: number): string {
  if (length < 126) return String.fromCharCode(0x81, length);
  if (length < 65536) return String.fromCharCode(0x81, 126, length >>> 8, length & 0xff);
  const high = Math.floor(length / 2 ** 32);
  const bytesOf = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return String.fromCharCode(0x81, 127, ...bytesOf(high), ...bytesOf(length >>> 0));
}

/**
 * One unmasked text frame whose payload is the JSON array of `messages`, header included, to be
 * written with `socket.write(frame, 'latin1')`: a latin1 string when every message is ASCII, else a
 * Buffer (the encoding argument is then ignored).
 */
export function textFrame(messages: readonly string[]): string | Buffer {
  // "[" + "]" and one "," between messages
  let length = messages.length + 1;
  let characters = length;
  for (const m of messages) {
    length += Buffer.byteLength(m);
    characters += m.length;
  }
  const header = textFrameHeader(length);
  // as many UTF-8 bytes as UTF-16 code units only when every character is below 0x80
  if (length === characters) return header + '[' + (messages.length === 1 ? messages[0] : messages.join(',')) + ']';
  const out = Buffer.allocUnsafe(header.length + length);
  let at = out.write(header, 0, 'latin1');
  out[at++] = 0x5b; // [
  for (let i = 0; i < messages.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(messages[i], at, 'utf8');
  }
  out[at] = 0x5d; // ]
  return out;
}

/** the upgrade's headers that carry credentials (all a keep-alive needs; the rest is not kept per websocket) */
function credentialHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return { ...(headers.cookie !== undefined ? { cookie: headers.cookie } : {}), ...(headers.authorization !== undefined ? { authorization: headers.authorization } : {}) };
}

class Link implements WsLink {
  readonly sessions = new Set<Session>();
  constructor(
    readonly userKey: string,
    readonly ws: WebSocket,
    /** the upgraded socket `ws` writes to: deliveries are written here as whole frames */
    private readonly socket: Duplex,
    private readonly maxBuffered: number,
    private readonly log: BayeuxEngine['log'],
    /** the upgrade's credential headers (Cookie, Authorization), for the keep-alive hook */
    readonly upgradeHeaders: IncomingHttpHeaders,
  ) {}
  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  send(data: string): void {
    if (!this.isOpen()) return;
    this.ws.send(data);
    this.cutIfSlow();
  }
  sendMessages(messages: readonly string[]): void {
    if (!this.isOpen() || messages.length === 0) return;
    this.socket.write(textFrame(messages), 'latin1');
    this.cutIfSlow();
  }
  /**
   * A consumer that stopped reading must not make the server buffer without bound: cut it (its
   * sessions lose the socket; the client reconnects, or its sessions expire).
   */
  private cutIfSlow(): void {
    if (this.ws.bufferedAmount > this.maxBuffered) {
      this.log.warn({ user: this.userKey, buffered: this.ws.bufferedAmount }, 'bayeux websocket consumer too slow; socket cut');
      this.ws.terminate();
    }
  }
  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }
}

export class WebSocketTransport {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly engine: BayeuxEngine) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const render = this.engine.opts.renderRefusal;
    guarded(
      this.engine.log,
      'websocket upgrade',
      () => {
        if (this.engine.closed) return refuse(socket, render, 503, 'the server is shutting down');
        const malformed = malformedUpgrade(req);
        if (malformed) {
          this.engine.log.debug({ url: req.url?.slice(0, 256), reason: malformed[1] }, 'bayeux websocket upgrade refused: malformed');
          return refuse(socket, render, malformed[0], malformed[1]);
        }
        const userKey = this.engine.authenticate(req);
        if (userKey === null) {
          this.engine.log.debug({ url: req.url?.slice(0, 256) }, 'bayeux websocket upgrade refused: not authenticated');
          return refuse(socket, render, 401, 'not authenticated');
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => guarded(this.engine.log, 'websocket open', () => this.attach(ws, socket, userKey, credentialHeaders(req.headers))));
      },
      () => refuse(socket, render, 500, 'internal error'),
    );
  }

  private attach(ws: WebSocket, socket: Duplex, userKey: string, upgradeHeaders: IncomingHttpHeaders): void {
    if (this.engine.closed) {
      ws.close(1001, 'server closing');
      return;
    }
    const log = this.engine.log;
    const link = new Link(userKey, ws, socket, this.engine.opts.maxWsBufferedBytes, log, upgradeHeaders);
    this.sockets.add(ws);
    // close is registered first so that the socket is forgotten even if a later step fails
    ws.on('close', () => {
      this.sockets.delete(ws);
      guarded(log, 'websocket close', () => this.engine.unlink(link));
    });
    ws.on('error', (err) => guarded(log, 'websocket error', () => log.debug({ err }, 'bayeux websocket error')));
    ws.on('message', (data, isBinary) => guarded(log, 'websocket message', () => this.onFrame(link, data, isBinary)));
    this.engine.addLink(link);
    this.engine.log.debug({ user: userKey }, 'bayeux websocket open');
  }

  private onFrame(link: Link, data: RawData, isBinary: boolean): void {
    const engine = this.engine;
    try {
      const text = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
      const messages = toMessages(text);
      if (!messages) {
        engine.log.debug({}, 'bayeux: malformed websocket frame');
        link.send(BAD_MESSAGE_BODY);
        return;
      }
      if (messages.some((message) => message.channel === META.connect)) engine.opts.keepAlive(link.upgradeHeaders);
      const out = processBatch(engine, messages, { transport: 'websocket', userKey: link.userKey, link });
      if (out.replies.length > 0) link.send(frame(out.replies));
      if (out.connect) engine.finishConnect(out.connect, (events, connectReply) => link.send(frame([...events, connectReply])));
    } catch (err) {
      engine.log.warn({ err }, 'bayeux: websocket frame failed');
    }
  }

  /** Close every socket with 1001 and resolve when they are closed (or cut after a grace period). */
  async close(): Promise<void> {
    const pending = [...this.sockets].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
          cut.unref();
          ws.once('close', () => {
            clearTimeout(cut);
            resolve();
          });
          ws.close(1001, 'server shutting down');
        }),
    );
    await Promise.all(pending);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
