/**
 * app.close() always settles (issue 7 point 10: after the full CometD fuzz it never did). The cause,
 * reproduced small here: Node's server.close() closes only idle connections and stops checking
 * request timeouts, so a connection holding a request under way — a half-sent body, or a body left
 * unread after an early answer — kept the HTTP server, hence app.close(), open until the client
 * went away (or for ever, for a client that trickles bytes). The connection guard now cuts what is
 * still open a grace period (SHUTDOWN_GRACE_MS) after the held long-polls were answered; a request
 * that completes within the grace still gets its answer.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { Api, basic } from '../api/harness.js';
import { SHUTDOWN_GRACE_MS } from '../../src/gws/connections.js';
import { withTimeout } from '../helpers/wait.js';
import { parseResponses } from './raw-http.js';

/** Far below the 60 s idle timeout that used to end the hang, well above the grace. */
const CLOSE_BOUND_MS = SHUTDOWN_GRACE_MS + 6000;
const AUTH = basic('agent1');
const BODY = JSON.stringify({ operationName: 'NoSuchOperation' });

/** A raw client socket that records what the server sends and when the server closes it. */
class RawClient {
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }
  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connecting to the server');
    return new RawClient(socket);
  }
  responses() {
    return parseResponses(Buffer.concat(this.received), true).responses;
  }
}

/** Start a server, open a request whose body is only partly sent, and resolve once the server is handling it. */
async function halfSentRequest(): Promise<{ api: Api; client: RawClient }> {
  const api = await Api.start();
  const { port } = await api.app.listen();
  const client = await RawClient.connect(port);
  const handling = new Promise((resolve) => api.app.fastify.server.once('request', resolve));
  const head = `POST /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n`;
  client.socket.write(head + BODY.slice(0, 10));
  await withTimeout(handling, 5000, 'the server to start handling the half-sent request');
  return { api, client };
}

test('app.close() settles while a client holds a half-sent request body (the connection is cut after the grace)', async () => {
  const { api, client } = await halfSentRequest();
  try {
    await withTimeout(api.close(), CLOSE_BOUND_MS, 'app.close() with a half-sent request open');
    await withTimeout(client.closed, 5000, 'the half-sent connection to be closed by the server');
    assert.deepEqual(client.responses(), [], 'the cut request is not answered (it never arrived in full)');
  } finally {
    client.socket.destroy();
  }
});

test('a request completed during the shutdown grace is still answered, then the connection closes', async () => {
  const { api, client } = await halfSentRequest();
  try {
    const closing = api.close();
    client.socket.write(BODY.slice(10));
    await withTimeout(closing, CLOSE_BOUND_MS, 'app.close() while the request completes');
    await withTimeout(client.closed, 5000, 'the connection to be closed after its answer');
    const responses = client.responses();
    assert.equal(responses.length, 1, `one answer for the completed request: ${Buffer.concat(client.received).toString('latin1').slice(0, 300)}`);
    const answer = JSON.parse(responses[0].body);
    assert.equal(typeof answer.statusCode, 'number', 'the GWS envelope');
    assert.ok(responses[0].status < 500, `not a server error: HTTP ${responses[0].status} ${responses[0].body}`);
  } finally {
    client.socket.destroy();
  }
});
