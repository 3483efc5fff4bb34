/**
 * "The server survives" (issue 7 point 10 b): the inputs that crashed or froze the server in the
 * adversarial pass, sent to one real server on an ephemeral port, each followed by the proof that
 * it is still alive (an authenticated GET over a fresh socket and a CometD handshake both answer).
 * The per-defect regression tests live with each fix; this file is the cross-cutting net: a
 * /meta/connect whose `id` is an array nested 3,000 levels deep (long-polling and websocket), a
 * contacts filter of twenty `*`, a 6 MiB body (REST and CometD), oversized headers, and a request
 * whose body is only half sent (answered by others meanwhile, closed by the server in time).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { Api, basic } from '../api/harness.js';
import { testConfig } from '../../src/config/load.js';
import { rawHandshake } from '../helpers/cometd-client.js';
import { withTimeout } from '../helpers/wait.js';
import { bayeuxProblem, gwsProblem, nestedText } from './fuzz-kit.js';
import { rawExchange } from './raw-http.js';

const AUTH = basic('agent1');
const MOUNT = '/api/v2/notifications';
const BOUND_MS = 5000;
/** the server is configured to give up on an incomplete request after this */
const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;

let api: Api;
let port: number;
let baseUrl: string;

before(async () => {
  api = await Api.start({ connections: { ...testConfig().connections, requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: HEADERS_TIMEOUT_MS } });
  ({ port, baseUrl } = await api.app.listen());
});

after(() => api.close());

/** Alive: a GET over a new socket answers statusCode 0, and a CometD handshake succeeds. */
async function assertAlive(after: string): Promise<void> {
  const response = await withTimeout(fetch(`${baseUrl}/api/v2/me`, { headers: { Authorization: AUTH } }), BOUND_MS, `GET /api/v2/me after ${after}`);
  assert.equal(response.status, 200, `GET /api/v2/me after ${after}`);
  assert.equal((await response.json()).statusCode, 0);
  const clientId = await withTimeout(rawHandshake(baseUrl + MOUNT, { Authorization: AUTH }), BOUND_MS, `CometD handshake after ${after}`);
  assert.equal(typeof clientId, 'string');
}

/** POST text over a raw socket; the server must answer (no 5xx, JSON) or close within the bound. */
async function postRaw(path: string, body: string | Buffer, contentType = 'application/json', bayeux = false): Promise<number | 'closed'> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const headText = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  const exchange = await rawExchange({ port, pieces: [Buffer.from(headText), bytes], end: true, boundMs: BOUND_MS, stopAfter: 1 });
  if (exchange.responses.length === 0) {
    assert.ok(exchange.closed, `POST ${path}: neither answered nor closed within ${BOUND_MS} ms`);
    return 'closed';
  }
  const r = exchange.responses[0];
  assert.equal(gwsProblem(r.status, r.headers['content-type'], r.body, 'POST', bayeux), '', `POST ${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return r.status;
}

test('a /meta/connect with an id nested 3,000 levels deep, over long-polling', async () => {
  const clientId = await rawHandshake(baseUrl + MOUNT, { Authorization: AUTH });
  const body = `[{"channel":"/meta/connect","clientId":"${clientId}","connectionType":"long-polling","advice":{"timeout":0},"id":${nestedText(3000, 'array', '"x"')}}]`;
  await postRaw(MOUNT + '/connect', body, 'application/json', true);
  await assertAlive('a nested id over long-polling');
});

test('a /meta/connect with an id nested 3,000 levels deep, over websocket', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${MOUNT}`, { headers: { Authorization: AUTH } });
  const frames: string[] = [];
  let closed = false;
  await withTimeout(new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject))), BOUND_MS, 'websocket open');
  const answered = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      frames.push(data.toString());
      if (frames.some((f) => f.includes('/meta/connect'))) resolve();
    });
    ws.on('close', () => {
      closed = true;
      resolve();
    });
  });
  ws.send(JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' }]));
  const handshakeReply = await withTimeout(new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString()))), BOUND_MS, 'websocket handshake reply');
  const clientId = JSON.parse(handshakeReply)[0].clientId;
  ws.send(`[{"channel":"/meta/connect","clientId":"${clientId}","connectionType":"websocket","advice":{"timeout":0},"id":${nestedText(3000, 'array', '"x"')}}]`);
  await withTimeout(answered, BOUND_MS, 'a reply to the nested-id connect, or the socket closed');
  for (const frame of frames) assert.equal(bayeuxProblem(JSON.parse(frame)), '', frame.slice(0, 200));
  assert.ok(closed || frames.length > 1, 'answered or closed');
  ws.terminate();
  await assertAlive('a nested id over websocket');
});

test('a contacts filter of twenty * (and a backtracking-hostile pattern) is answered promptly', async () => {
  for (const pattern of ['*'.repeat(20), '*a'.repeat(20) + 'b', '*'.repeat(300)]) {
    const response = await withTimeout(
      fetch(`${baseUrl}/api/v2/contacts?filterParameters=${encodeURIComponent(pattern)}`, { headers: { Authorization: AUTH } }),
      BOUND_MS,
      `contacts filter ${pattern.slice(0, 30)}`,
    );
    assert.equal(gwsProblem(response.status, response.headers.get('content-type') ?? '', await response.text()), '');
  }
  await assertAlive('wildcard filters');
});

test('a 6 MiB body, to REST and to CometD', async () => {
  const big = Buffer.alloc(6 * 1024 * 1024, 'x');
  big.write('{"operationName":"Ready","pad":"');
  big.write('"}', big.length - 2);
  const rest = await postRaw('/api/v2/me/channels/voice', big);
  assert.ok(rest === 'closed' || rest === 413, `REST: expected 413 or a close, got ${rest}`);
  const cometd = await postRaw(MOUNT + '/handshake', big, 'application/json', true);
  assert.ok(cometd === 'closed' || cometd === 413, `CometD: expected 413 or a close, got ${cometd}`);
  await assertAlive('6 MiB bodies');
});

test('oversized headers: one huge header, and thousands of small ones', async () => {
  for (const extra of [`X-Big: ${'b'.repeat(100_000)}`, Array.from({ length: 5000 }, (_, i) => `X-H${i}: ${i}`).join('\r\n')]) {
    const exchange = await rawExchange({ port, pieces: [`GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\n${extra}\r\n\r\n`], end: true, boundMs: BOUND_MS, stopAfter: 1 });
    assert.ok(exchange.responses.length > 0 || exchange.closed, 'answered or closed');
    for (const r of exchange.responses) assert.ok(r.status === 431 || r.status === 400, `expected 431 (or 400), got ${r.status}`);
  }
  await assertAlive('oversized headers');
});

test('a half-sent body does not block anyone else', async () => {
  const pending = rawExchange({
    port,
    pieces: [`POST /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"operationName":`],
    end: false,
    boundMs: REQUEST_TIMEOUT_MS + BOUND_MS,
  });
  await assertAlive('a half-sent body (still open)');
  await pending;
});

test(
  'the server closes a half-sent request once connections.requestTimeoutMs has passed',
  async () => {
    const exchange = await rawExchange({
      port,
      pieces: [`POST /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"operationName":`],
      end: false,
      boundMs: REQUEST_TIMEOUT_MS + BOUND_MS,
    });
    assert.ok(exchange.closed, `the half-sent request was still open after ${REQUEST_TIMEOUT_MS + BOUND_MS} ms`);
    for (const r of exchange.responses) assert.equal(gwsProblem(r.status, r.headers['content-type'], r.body), '', `HTTP ${r.status} ${r.body}`);
    await assertAlive('a timed-out half-sent body');
  },
);
