/**
 * The baseline of the REST rows: a bare fastify 5 server (no logger, no hooks, no plugins) whose
 * one route GET /bare answers a fixed JSON object, the body of a real GET /api/v2/me of the run
 * (given in BENCH_BARE_BODY), serialised by fastify's default JSON path on every request. Sends
 * `ready` with its base URL.
 */
import Fastify from 'fastify';
import { notifyParent, serve } from './child.js';

const body = JSON.parse(process.env.BENCH_BARE_BODY ?? '{"statusCode":0}');
const app = Fastify();
app.get('/bare', async () => body);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address() as { port: number };
serve({});
process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
notifyParent('ready', { baseUrl: `http://127.0.0.1:${address.port}` });
