/**
 * The long-polling transport: one HTTP POST carries a batch of messages and gets back one JSON
 * array (HTTP 200, application/json). A batch holding a /meta/connect is answered when that connect
 * completes, with every other reply first. Requests of the same client never wait for each other:
 * only the connect is held. Malformed bodies get HTTP 400; after close(), HTTP 503 (clients treat
 * both as transport failures and retry with backoff). close() resolves once the responses already
 * written (among them the held connects answered at shutdown) are flushed to their sockets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BayeuxEngine } from './engine.js';
import { BAD_MESSAGE_BODY, CLOSING_BODY, frame, toMessages } from './messages.js';
import { processBatch } from './meta.js';

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache, no-store' } as const;
/** How long close() waits for written responses to drain. */
const FLUSH_GRACE_MS = 1000;

export class LongPollingTransport {
  /** responses written but not yet flushed */
  private readonly flushing = new Set<ServerResponse>();

  constructor(private readonly engine: BayeuxEngine) {}

  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const engine = this.engine;
    try {
      if (engine.closed) return this.write(res, 503, CLOSING_BODY);
      const messages = toMessages(body);
      if (!messages) {
        engine.log.debug({ url: req.url }, 'bayeux: malformed request body');
        return this.write(res, 400, BAD_MESSAGE_BODY);
      }
      const origin = { transport: 'long-polling' as const, userKey: engine.authenticate(req) };
      const out = processBatch(engine, messages, origin);
      const intent = out.connect;
      if (!intent) return this.write(res, 200, frame(out.replies));
      const held = engine.finishConnect(intent, (parts) => this.write(res, 200, frame(out.replies.length ? out.replies.concat(parts) : parts)));
      if (held) res.once('close', () => engine.abandon(held));
    } catch (err) {
      engine.log.warn({ err, url: req.url }, 'bayeux: long-polling request failed');
      this.write(res, 500, JSON.stringify([{ successful: false, error: '500::server_error' }]));
    }
  }

  private write(res: ServerResponse, status: number, body: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (!res.headersSent) res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body) });
    this.flushing.add(res);
    const done = (): void => void this.flushing.delete(res);
    res.once('finish', done);
    res.once('close', done);
    res.end(body);
  }

  /** Resolves when every written response is flushed (or after a grace period). */
  async close(): Promise<void> {
    if (this.flushing.size === 0) return;
    const pending = [...this.flushing].map((res) => new Promise<void>((resolve) => {
      if (res.writableFinished || res.destroyed) return resolve();
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
    }));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(pending), grace]);
    clearTimeout(timer);
  }
}
