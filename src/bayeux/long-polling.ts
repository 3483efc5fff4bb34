/**
 * The long-polling transport: one HTTP POST carries a batch of messages and gets back one JSON
 * array (HTTP 200, application/json). A batch holding a /meta/connect is answered when that connect
 * completes, laid out as CometD does: the deliveries first, then the other replies, then the
 * connect reply LAST. Requests of the same client never wait for each other: only the connect is
 * held. Malformed bodies get HTTP 400; after close(), HTTP 503 (clients treat both as transport
 * failures and retry with backoff). close() resolves once the responses already written (among
 * them the held connects answered at shutdown) are flushed to their sockets.
 *
 * With `maxSessionsPerBrowser` > 0, a handshake without a BAYEUX_BROWSER cookie gets one, and the
 * long-polls held at once per cookie are counted (engine.ts answers the extra ones at once with
 * advice multiple-clients).
 *
 * No exception escapes: request handling, response writing and the close grace timer are guarded
 * (the request is answered with a Bayeux server error when nothing better can be said).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BayeuxEngine } from './engine.js';
import { BAD_MESSAGE_BODY, CLOSING_BODY, META, frame, toMessages } from './messages.js';
import { processBatch } from './meta.js';
import { guarded } from './options.js';

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache, no-store' } as const;
/** How long close() waits for written responses to drain. */
const FLUSH_GRACE_MS = 1000;
const SERVER_ERROR_BODY = JSON.stringify([{ successful: false, error: '500::server_error' }]);
/** The cookie naming a browser (CometD's name). */
export const BROWSER_COOKIE = 'BAYEUX_BROWSER';
const BROWSER_COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${BROWSER_COOKIE}=([A-Za-z0-9]{1,64})(?:;|$)`);

export class LongPollingTransport {
  /** responses written but not yet flushed */
  private readonly flushing = new Set<ServerResponse>();

  constructor(private readonly engine: BayeuxEngine) {}

  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const engine = this.engine;
    guarded(
      engine.log,
      'long-polling request',
      () => {
        if (engine.closed) return this.write(res, 503, CLOSING_BODY);
        const messages = toMessages(body);
        if (!messages) {
          engine.log.debug({ url: req.url?.slice(0, 256) }, 'bayeux: malformed request body');
          return this.write(res, 400, BAD_MESSAGE_BODY);
        }
        const browser = this.browserOf(req, res, messages.some((m) => m.channel === META.handshake));
        const origin = { transport: 'long-polling' as const, userKey: engine.authenticate(req), browser };
        const out = processBatch(engine, messages, origin);
        const intent = out.connect;
        if (!intent) return this.write(res, 200, frame(out.replies));
        const held = engine.finishConnect(intent, (events, connectReply) =>
          this.write(res, 200, frame([...events, ...out.replies, connectReply])),
        );
        if (held) res.once('close', () => guarded(engine.log, 'long-poll close', () => engine.abandon(held)));
      },
      () => this.write(res, 500, SERVER_ERROR_BODY),
    );
  }

  /** The BAYEUX_BROWSER of the request when browser tracking is on; a handshake without one gets one. */
  private browserOf(req: IncomingMessage, res: ServerResponse, handshake: boolean): string | null {
    if (this.engine.opts.maxSessionsPerBrowser <= 0) return null;
    const found = BROWSER_COOKIE_VALUE.exec(req.headers.cookie ?? '')?.[1];
    if (found) return found;
    if (!handshake || res.headersSent) return null;
    const fresh = randomBytes(16).toString('hex');
    // added to the cookies the host already set on this answer (its session cookie on a first handshake), not in their place
    const cookie = `${BROWSER_COOKIE}=${fresh}; Path=/; HttpOnly`;
    const set = res.getHeader('Set-Cookie');
    res.setHeader('Set-Cookie', set === undefined ? cookie : [...(Array.isArray(set) ? set : [String(set)]), cookie]);
    return fresh;
  }

  private write(res: ServerResponse, status: number, body: string): void {
    guarded(this.engine.log, 'long-poll response', () => {
      if (res.writableEnded || res.destroyed) return;
      if (!res.headersSent) res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body) });
      this.flushing.add(res);
      const done = (): void => void this.flushing.delete(res);
      res.once('finish', done);
      res.once('close', done);
      res.end(body);
    });
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
      timer = setTimeout(() => guarded(this.engine.log, 'flush-grace timer', resolve), FLUSH_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.all(pending), grace]);
    clearTimeout(timer);
  }
}
