/**
 * The baselines of the REST rows: a bare fastify 5 server (no logger, no hooks, no plugins).
 *   - GET /bare answers a fixed JSON object, the body of a real GET /api/v2/me of the run (given in
 *     BENCH_BARE_BODY), serialised by fastify's default JSON path on every request.
 *   - POST /api/v2/me/channels/voice is the same I/O as a Switchboard agent-state change with its
 *     notification, and nothing of its work: fastify's default JSON body parser reads the body, the
 *     answer is `{"statusCode":0}`, and the websocket of the caller (by Authorization header,
 *     opened with an upgrade to any path, `ws` without compression) gets one frame with the text
 *     BENCH_BARE_FRAMES gives for the body's operationName: the notifications a real state change
 *     sent in the run, captured by the load generator. The frame is sent in the check phase after
 *     the answer (setImmediate), as Switchboard's Bayeux round does. GET /api/v2/me answers
 *     `{"statusCode":0}` for the load generator's first request of each connection.
 * Sends `ready` with its base URL.
 */
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { notifyParent, serve } from './child.js';

const body = JSON.parse(process.env.BENCH_BARE_BODY ?? '{"statusCode":0}');
/** operationName -> the frame text a state change to it is notified with */
const frames = JSON.parse(process.env.BENCH_BARE_FRAMES ?? '{}') as Record<string, string>;
const app = Fastify();
app.get('/bare', async () => body);

const sockets = new Map<string, WebSocket>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
app.server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    const auth = request.headers.authorization ?? '';
    sockets.set(auth, ws);
    ws.on('close', () => sockets.get(auth) === ws && sockets.delete(auth));
  });
});
app.get('/api/v2/me', async () => ({ statusCode: 0 }));
app.post('/api/v2/me/channels/voice', async (request, reply) => {
  const frame = frames[(request.body as { operationName?: string } | null)?.operationName ?? ''];
  const ws = sockets.get(request.headers.authorization ?? '');
  if (frame === undefined || ws === undefined) return reply.code(400).send({ statusCode: 1, statusMessage: 'no frame for this operationName, or no websocket for these credentials' });
  setImmediate(() => ws.send(frame));
  return { statusCode: 0 };
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address() as { port: number };
serve({});
process.once('SIGTERM', () => {
  for (const ws of sockets.values()) ws.terminate();
  void app.close().finally(() => process.exit(0));
});
notifyParent('ready', { baseUrl: `http://127.0.0.1:${address.port}` });
