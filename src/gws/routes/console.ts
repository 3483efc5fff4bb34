/**
 * Serves the web console (docs/console.md) from dist/console, as built by scripts/build-console.ts:
 * index.html at / and /console/ with `Cache-Control: no-cache` (always revalidated, so a new build
 * is picked up at once), the content-hashed assets under /console/assets/ with a year's
 * `immutable` caching. No credentials are needed (the page signs in through the API). Guarantees:
 * only a plain file name of dist/console/assets is ever read (no path separators, no dot files),
 * with its content type from one table; anything else is the GWS 404 envelope; a console that has
 * not been built answers 503 with the command to build it, never a 500.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import { ERROR_TABLE } from '../../errors.js';
import { sendStatus } from '../reply.js';
import type { Router } from '../router.js';

const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'console');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/**
 * What the page may load and connect to: only this server. `worker-src blob:` because the CometD
 * client runs its timers in a Worker made from a blob URL (useWorkerScheduler, so that a console
 * in a background tab keeps its long-poll on time); without it no /meta/connect is ever sent.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

async function sendIndex(reply: FastifyReply, dir: string): Promise<FastifyReply> {
  const html = await readOrUndefined(join(dir, 'index.html'));
  if (!html) return sendStatus(reply, ERROR_TABLE.Internal.statusCode, 'The web console is not built: run `npm run build:console` (npm install and npm start build it too)', 503);
  return reply
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-cache')
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .send(html);
}

export function consoleRoutes(r: Router, dir = CONSOLE_DIR): void {
  const index = (_req: unknown, reply: FastifyReply) => sendIndex(reply, dir);
  r.raw('GET', '/', index);
  r.raw('GET', '/console', index);
  r.raw('GET', '/console/assets/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const type = CONTENT_TYPES[file.slice(file.lastIndexOf('.'))];
    const body = ASSET_NAME.test(file) && type ? await readOrUndefined(join(dir, 'assets', file)) : undefined;
    if (!body) return sendStatus(reply, ERROR_TABLE.NotFound.statusCode, `Resource not found: GET /console/assets/${file.slice(0, 128)}`, 404);
    return reply
      .header('Content-Type', type)
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff')
      .send(body);
  });
}
