/**
 * The long-polling transport: one HTTP POST carries a batch of messages and gets back one JSON
 * array (HTTP 200, application/json). A batch holding a /meta/connect is answered when that connect
 * completes, with every other reply first. Requests of the same client never wait for each other:
 * only the connect is held. Malformed bodies get HTTP 400; after close(), HTTP 503 (clients treat
 * both as transport failures and retry with backoff).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BayeuxEngine } from './engine.js';
import { BAD_MESSAGE_BODY, CLOSING_BODY, frame, toMessages } from './messages.js';
import { processBatch } from './meta.js';

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache, no-store' } as const;

function write(res: ServerResponse, status: number, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  if (!res.headersSent) {
    res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(body) });
  }
  res.end(body);
}

export function handlePost(engine: BayeuxEngine, req: IncomingMessage, res: ServerResponse, body: unknown): void {
  try {
    if (engine.closed) return write(res, 503, CLOSING_BODY);
    const messages = toMessages(body);
    if (!messages) {
      engine.log.debug({ url: req.url }, 'bayeux: malformed request body');
      return write(res, 400, BAD_MESSAGE_BODY);
    }
    const origin = { transport: 'long-polling' as const, userKey: engine.authenticate(req) };
    const out = processBatch(engine, messages, origin);
    const intent = out.connect;
    if (!intent) return write(res, 200, frame(out.replies));
    const held = engine.finishConnect(intent, (parts) => write(res, 200, frame(out.replies.length ? out.replies.concat(parts) : parts)));
    if (held) res.once('close', () => engine.abandon(held));
  } catch (err) {
    engine.log.warn({ err, url: req.url }, 'bayeux: long-polling request failed');
    write(res, 500, JSON.stringify([{ successful: false, error: '500::server_error' }]));
  }
}
