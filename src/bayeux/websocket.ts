/**
 * The websocket transport (`ws` in noServer mode). The upgrade request is authenticated once
 * (401 on the raw socket when the hook says no); every frame in either direction is a JSON array
 * of messages. Replies other than /meta/connect go out at once; the connect is held as the
 * heartbeat while deliveries are pushed as frames as soon as they are queued. Frames arriving
 * after close() began are processed against the emptied registry (402 / server closing) and
 * answered only while the socket is still open.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { BayeuxEngine } from './engine.js';
import { BAD_MESSAGE_BODY, frame, toMessages } from './messages.js';
import { processBatch } from './meta.js';
import type { Session, WsLink } from './session.js';

/** Largest accepted frame. */
const MAX_PAYLOAD = 1024 * 1024;
/** How long close() waits for a closing handshake before cutting sockets. */
const CLOSE_GRACE_MS = 1000;

function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
  setTimeout(() => socket.destroy(), 100).unref();
}

class Link implements WsLink {
  readonly sessions = new Set<Session>();
  constructor(
    readonly userKey: string,
    readonly ws: WebSocket,
    private readonly maxBuffered: number,
    private readonly log: BayeuxEngine['log'],
  ) {}
  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  send(data: string): void {
    if (!this.isOpen()) return;
    this.ws.send(data);
    // a consumer that stopped reading must not make the server buffer without bound: cut it (its
    // sessions lose the socket; the client reconnects, or its sessions expire)
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
    try {
      if (this.engine.closed) return refuse(socket, 503, 'Service Unavailable');
      const userKey = this.engine.authenticate(req);
      if (userKey === null) {
        this.engine.log.debug({ url: req.url }, 'bayeux websocket upgrade refused: not authenticated');
        return refuse(socket, 401, 'Unauthorized');
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, userKey));
    } catch (err) {
      this.engine.log.warn({ err, url: req.url }, 'bayeux: websocket upgrade failed');
      socket.destroy();
    }
  }

  private attach(ws: WebSocket, userKey: string): void {
    if (this.engine.closed) {
      ws.close(1001, 'server closing');
      return;
    }
    const link = new Link(userKey, ws, this.engine.opts.maxWsBufferedBytes, this.engine.log);
    this.sockets.add(ws);
    this.engine.links.add(link);
    ws.on('message', (data, isBinary) => this.onFrame(link, data, isBinary));
    ws.on('error', (err) => this.engine.log.debug({ err }, 'bayeux websocket error'));
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.engine.unlink(link);
    });
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
      const out = processBatch(engine, messages, { transport: 'websocket', userKey: link.userKey, link });
      if (out.replies.length > 0) link.send(frame(out.replies));
      if (out.connect) engine.finishConnect(out.connect, (parts) => link.send(frame(parts)));
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
