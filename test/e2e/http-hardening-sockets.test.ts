/**
 * The HTTP connection layer through real sockets (issue 7, points 3, 4 and 6): early errors reach
 * a client that writes everything before it reads (413, 431, 400, 417, 408), no `100 Continue` for
 * an oversized body, request and head timeouts, the connection cap keeping authenticated
 * connections, and websocket upgrade refusals as GWS JSON (wrong path, foreign Origin, at the cap).
 * Every wait is bounded and fails loudly; nothing asserts timings.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { testConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { withTimeout } from '../helpers/wait.js';

const AGENT = 'Basic ' + Buffer.from('agent1:demo').toString('base64');
const BOUND_MS = 8000;

interface Answer {
  /** first line of each response, interim ones included */
  statusLines: string[];
  status: number;
  headers: Record<string, string>;
  body: string;
  /** a socket error seen before a complete answer (EPIPE, ECONNRESET) */
  error?: string;
}

/** The final response in `raw`, or undefined while incomplete. */
function parse(raw: string): Omit<Answer, 'error'> | undefined {
  const statusLines: string[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = rest.slice(0, end).split('\r\n');
    statusLines.push(head[0]);
    const status = Number(head[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200 && status !== 101) continue;
    const length = Number(headers['content-length'] ?? 0);
    if (Buffer.byteLength(rest) < length) return undefined;
    return { statusLines, status, headers, body: rest.slice(0, length) };
  }
}

/**
 * Send `head`, then `bodyBytes` bytes of spaces, reading nothing until everything is written (the
 * client that used to lose its 413); resolve with the answer once it is complete.
 */
function exchange(port: number, head: string, bodyBytes = 0, opts: { readWhileWriting?: boolean; stopAfterHead?: boolean } = {}): Promise<Answer> {
  return withTimeout(
    new Promise<Answer>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let raw = '';
      let settled = false;
      const settle = (error?: string): void => {
        if (settled) return;
        const parsed = parse(raw);
        if (!parsed && !error) return;
        settled = true;
        socket.destroy();
        resolve(parsed ? { ...parsed, ...(error && !parsed ? { error } : {}) } : { statusLines: [], status: 0, headers: {}, body: raw, error });
      };
      if (!opts.readWhileWriting) socket.pause();
      socket.on('data', (d) => {
        raw += d.toString('latin1');
        settle();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
      socket.on('close', () => settle('closed before a complete answer'));
      socket.write(head);
      if (opts.stopAfterHead) {
        socket.resume();
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 32);
      let sent = 0;
      const pump = (): void => {
        while (sent < bodyBytes) {
          const n = Math.min(chunk.length, bodyBytes - sent);
          sent += n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.resume();
      };
      pump();
    }),
    BOUND_MS,
    `an answer to ${head.split('\r\n', 1)[0]}`,
  );
}

function assertEnvelope(a: Answer, httpStatus: number, statusCode: number, message?: RegExp): void {
  assert.equal(a.error, undefined, `socket error ${a.error} before the answer`);
  assert.equal(a.status, httpStatus, `status line ${a.statusLines.join(' / ')}: ${a.body}`);
  assert.match(a.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(a.body);
  assert.deepEqual(Object.keys(body).sort(), ['statusCode', 'statusMessage']);
  assert.equal(body.statusCode, statusCode, a.body);
  if (message) assert.match(body.statusMessage, message);
}

async function start(over: Partial<Config> = {}): Promise<{ app: App; port: number }> {
  const app = await createApp(testConfig({ contactCenters: [demoContactCenter()], ...over }));
  const { port } = await app.listen();
  return { app, port };
}

const post = (path: string, length: number, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AGENT}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('early errors reach the client', () => {
  let app: App;
  let port: number;
  before(async () => ({ app, port } = await start()));
  after(() => app.close());

  test('a 6 MiB body written in full before reading gets its 413 envelope, every time', async () => {
    const size = 6 * 1024 * 1024;
    for (let i = 0; i < 5; i++) {
      assertEnvelope(await exchange(port, post('/api/v2/me', size), size), 413, 10, /larger than the limit of 65536 bytes/);
    }
  });

  test('Expect: 100-continue over the limit: 413 at once, no 100 Continue', async () => {
    const a = await exchange(port, post('/api/v2/me', 6 * 1024 * 1024, 'Expect: 100-continue\r\n'), 0, { stopAfterHead: true });
    assertEnvelope(a, 413, 10);
    assert.deepEqual(a.statusLines, ['HTTP/1.1 413 Payload Too Large']);
  });

  test('Expect: 100-continue within the limit: 100 Continue, then the request is served', async () => {
    const body = JSON.stringify({ operationName: 'NoSuchOperation' });
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const answered = withTimeout(
      new Promise<Omit<Answer, 'error'>>((resolve, reject) => {
        socket.on('data', (d) => {
          raw += d.toString();
          if (raw.startsWith('HTTP/1.1 100') && !raw.includes('\r\n\r\nHTTP') && raw.endsWith('\r\n\r\n')) socket.write(body);
          const p = parse(raw);
          if (p) resolve(p);
        });
        socket.on('error', reject);
      }),
      BOUND_MS,
      'the answer after 100 Continue',
    );
    socket.write(post('/api/v2/me', Buffer.byteLength(body), 'Expect: 100-continue\r\n'));
    const a = await answered;
    socket.destroy();
    assert.equal(a.statusLines[0], 'HTTP/1.1 100 Continue');
    assert.equal(a.status, 400);
    assert.equal(JSON.parse(a.body).statusCode, 10);
  });

  test('Expect: bogus: 417 envelope (statusCode 10), not an empty 417', async () => {
    assertEnvelope(await exchange(port, 'GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: bogus\r\n\r\n'), 417, 10, /100-continue/);
  });

  test('a 256 KiB header written in full before reading gets its 431 envelope (statusCode 10)', async () => {
    const head = `GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(256 * 1024)}\r\n\r\n`;
    for (let i = 0; i < 3; i++) assertEnvelope(await exchange(port, head), 431, 10, /limit of 16384 bytes/);
  });

  test("Node's parser errors are envelopes: a malformed header line, both Content-Length and Transfer-Encoding", async () => {
    assertEnvelope(await exchange(port, 'GET /api/v2/me HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n'), 400, 10);
    const smuggle = 'POST /api/v2/me HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
    assertEnvelope(await exchange(port, smuggle), 400, 10);
  });

  test('an HTTP/1.1 request without Host: 400 envelope (statusCode 10), not an empty 400', async () => {
    assertEnvelope(await exchange(port, 'GET /api/v2/me HTTP/1.1\r\n\r\n'), 400, 10, /Host/);
  });

  test('after a 413 the body is drained and the kept-alive connection serves the next request', async () => {
    const size = 512 * 1024;
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const answers = withTimeout(
      new Promise<string>((resolveAll, reject) => {
        socket.on('data', (d) => {
          raw += d.toString();
          if ((raw.match(/HTTP\/1\.1 /g) ?? []).length === 2 && /\}$/.test(raw)) resolveAll(raw);
        });
        socket.on('error', reject);
      }),
      BOUND_MS,
      'a 413 and then a 200 on one connection',
    );
    socket.write(post('/api/v2/me', size));
    socket.write(Buffer.alloc(size, 32));
    socket.write(`GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AGENT}\r\n\r\n`);
    const all = await answers;
    socket.destroy();
    assert.match(all, /^HTTP\/1\.1 413 /);
    assert.match(all, /\r\n\r\n\{"statusCode":10,[^]*HTTP\/1\.1 200 /);
  });

  test('a 401 given before the body was read (guard): an unauthenticated 2 MiB body written in full gets its 401', async () => {
    const size = 2 * 1024 * 1024;
    const head = `POST /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
    assertEnvelope(await exchange(port, head, size), 401, 20);
  });
});

describe('timeouts: a request that never finishes is answered 408 and closed', () => {
  let app: App;
  let port: number;
  before(async () => ({ app, port } = await start({ connections: { ...testConfig().connections, headersTimeoutMs: 200, requestTimeoutMs: 400 } })));
  after(() => app.close());

  test('a body that never finishes', async () => {
    const a = await exchange(port, post('/api/v2/me', 1000) + '{"operationName":', 0, { stopAfterHead: true });
    assertEnvelope(a, 408, 10, /within 400 ms/);
  });

  test('headers that never finish', async () => {
    assertEnvelope(await exchange(port, 'GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\n', 0, { stopAfterHead: true }), 408, 10, /within 200 ms/);
  });
});

/** A socket that has connected (the server has counted it once 'connect' fired and a round trip passed). */
function openIdle(port: number): Promise<net.Socket> {
  return withTimeout(
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
      // flowing, so that a close by the server is seen
      s.resume();
    }),
    BOUND_MS,
    'a connection',
  );
}

function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve();
  return withTimeout(new Promise<void>((resolve) => socket.once('close', () => resolve())), BOUND_MS, 'the server to close an unauthenticated connection');
}

/** A keep-alive GET /api/v2/me on an open socket; resolves with the answer. */
function getMe(socket: net.Socket, auth = AGENT): Promise<Omit<Answer, 'error'>> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let raw = '';
      const onData = (d: Buffer): void => {
        raw += d.toString();
        const p = parse(raw);
        if (p) {
          socket.off('data', onData);
          resolve(p);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(`GET /api/v2/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\n\r\n`);
    }),
    BOUND_MS,
    'GET /api/v2/me on a kept-alive connection',
  );
}

describe('the connection cap keeps authenticated users first', () => {
  let app: App;
  let port: number;
  const sockets: net.Socket[] = [];
  before(async () => ({ app, port } = await start({
    connections: { ...testConfig().connections, maxConnections: 6, softMaxConnections: 3, unauthenticatedGraceMs: 0 },
  })));
  after(async () => {
    for (const s of sockets) s.destroy();
    await app.close();
  });

  test('a flood of unauthenticated connections is shed; the authenticated connections keep working; at the cap a newcomer gets 503', async () => {
    const users = await Promise.all([openIdle(port), openIdle(port)]);
    sockets.push(...users);
    for (const u of users) assert.equal((await getMe(u)).status, 200);
    // 20 idle unauthenticated connections (half-sent requests, or nothing at all)
    const flood: net.Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await openIdle(port);
      s.on('error', () => undefined);
      if (i % 2 === 0) s.write(post('/api/v2/me', 1000).replace(/Authorization: [^\r]+\r\n/, '') + '{');
      flood.push(s);
    }
    sockets.push(...flood);
    // every flood connection but the newest few is closed by the server
    await Promise.all(flood.slice(0, 14).map(closed));
    // the users were never touched
    for (const u of users) assert.equal((await getMe(u)).status, 200);
    // fill the cap with authenticated connections: the next newcomer is refused with a 503 envelope
    for (const s of flood) s.destroy();
    await Promise.all(flood.map(closed));
    const more: net.Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await openIdle(port);
      sockets.push(m);
      more.push(m);
      assert.equal((await getMe(m)).status, 200);
    }
    const refused = await openIdle(port);
    sockets.push(refused);
    const a = await getMe(refused);
    assert.equal(a.status, 503);
    assert.equal(JSON.parse(a.body).statusCode, 4);
    for (const u of [...users, ...more]) assert.equal((await getMe(u)).status, 200);
  });
});

describe('websocket upgrades are refused in JSON', () => {
  let app: App;
  let port: number;
  before(async () => ({ app, port } = await start()));
  after(() => app.close());

  const upgrade = (path: string, extra = '') =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

  test('a path other than the notifications one: 404, statusCode 6 (it used to be a silent destroy)', async () => {
    assertEnvelope(await exchange(port, upgrade('/api/v2/other')), 404, 6);
  });

  test('not authenticated: 401, statusCode 20 (not text/plain)', async () => {
    assertEnvelope(await exchange(port, upgrade('/api/v2/notifications')), 401, 20);
  });

  test('a hostile Origin with valid credentials: 403, statusCode 3; no Origin, or our own: 101', async () => {
    assertEnvelope(await exchange(port, upgrade('/api/v2/notifications', `Authorization: ${AGENT}\r\nOrigin: http://evil.example\r\n`)), 403, 3, /evil\.example/);
    for (const extra of [`Authorization: ${AGENT}\r\n`, `Authorization: ${AGENT}\r\nOrigin: http://127.0.0.1:${port}\r\n`]) {
      const a = await exchange(port, upgrade('/api/v2/notifications', extra), 0, { readWhileWriting: true });
      assert.equal(a.statusLines[0], 'HTTP/1.1 101 Switching Protocols', JSON.stringify(a));
    }
  });
});
