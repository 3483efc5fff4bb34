/**
 * The baselines of the REST rows: a bare fastify 5 server (no logger, no hooks, no plugins).
 *   - GET /bare answers a fixed JSON object, the body of a real GET /api/v2/me of the run (given in
 *     BENCH_BARE_BODY), serialised by fastify's default JSON path on every request.
 *   - POST /api/v2/me/channels/voice is the same I/O as a Switchboard agent-state change with its
 *     notification, and nothing of its work: fastify's default JSON body parser reads the body, the
 *     answer is `{"statusCode":0}` with headers of the same names and sizes as Switchboard's
 *     (X-Request-Id, the CSRF pair), and the caller's websocket (found by its Authorization header;
 *     opened with an upgrade to any path, `ws` without compression) gets one frame holding the
 *     messages BENCH_BARE_FRAMES gives for the body's operationName: those a real state change sent
 *     in the run, captured by the load generator. The frame is built per send and written as one
 *     chunk in the check phase after the answer, as Switchboard's Bayeux round does (its
 *     `textFrame`). GET /api/v2/me answers `{"statusCode":0}` with a session cookie, so the load
 *     generator's connections send a Cookie header as they do to Switchboard.
 * Sends `ready` with its base URL.
 */
import type { Duplex } from 'node:stream';
import Fastify from 'fastify';
import { WebSocketServer } from 'ws';
import { textFrame } from '../../src/bayeux/websocket.js';
import { notifyParent, serve } from './child.js';

const body = JSON.parse(process.env.BENCH_BARE_BODY ?? '{"statusCode":0}');
/** operationName -> the JSON texts of the messages a state change to it is notified with */
const frames = new Map(Object.entries(JSON.parse(process.env.BENCH_BARE_FRAMES ?? '{}') as Record<string, string[]>));
const app = Fastify();
app.get('/bare', async () => body);

/** Authorization header -> the upgraded socket of that caller's websocket */
const sockets = new Map<string, Duplex>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
app.server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    const auth = request.headers.authorization ?? '';
    sockets.set(auth, socket);
    ws.on('error', () => undefined);
    ws.on('close', () => sockets.get(auth) === socket && sockets.delete(auth));
  });
});

// the headers Switchboard adds to every answer, with values of the same lengths
let requests = 0;
const CSRF_TOKEN = '00000000-0000-4000-8000-000000000000';
const SESSION_COOKIE = `JSESSIONID=${'0'.repeat(32)}; Path=/; HttpOnly; SameSite=Lax`;
app.get('/api/v2/me', async (_request, reply) => {
  reply.header('Set-Cookie', SESSION_COOKIE);
  return { statusCode: 0 };
});
app.post('/api/v2/me/channels/voice', async (request, reply) => {
  const messages = frames.get((request.body as { operationName?: string } | null)?.operationName ?? '');
  const socket = sockets.get(request.headers.authorization ?? '');
  if (messages === undefined || socket === undefined) return reply.code(400).send({ statusCode: 1, statusMessage: 'no frame for this operationName, or no websocket for these credentials' });
  reply.header('X-Request-Id', `b758a3-${++requests}`);
  reply.header('X-CSRF-HEADER', 'X-CSRF-TOKEN');
  reply.header('X-CSRF-TOKEN', CSRF_TOKEN);
  setImmediate(() => socket.write(textFrame(messages), 'latin1'));
  return { statusCode: 0 };
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address() as { port: number };
serve({});
process.once('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  void app.close().finally(() => process.exit(0));
});
notifyParent('ready', { baseUrl: `http://127.0.0.1:${address.port}` });
