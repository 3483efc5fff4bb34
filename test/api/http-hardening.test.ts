/**
 * Issue 7 through fastify.inject() and the process backstop through a child process: the Origin
 * policy on CORS and CometD POSTs (point 6), the Secure cookie option, the configuration checks of
 * the new options, the fastify error handler answering a throwing handler with statusCode 4 and
 * logging it with the request id (point 1), a throwing upgrade handler, and the last-resort
 * uncaughtException/unhandledRejection handlers keeping a process up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { ConfigError, loadConfig, testConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { effectiveIdleTimeoutMs, serverTimeoutOptions } from '../../src/gws/connections.js';
import { EventCollector, withTimeout } from '../helpers/wait.js';

const AGENT = 'Basic ' + Buffer.from('agent1:demo').toString('base64');

/** The app with its log lines collected (parsed JSON). */
async function start(over: Partial<Config> = {}): Promise<{ app: App; logs: EventCollector<Record<string, unknown>> }> {
  const logs = new EventCollector<Record<string, unknown>>('log lines');
  const app = await createApp(testConfig({ contactCenters: [demoContactCenter()], ...over }), {
    logStream: { write: (line: string) => logs.push(JSON.parse(line)) },
  });
  return { app, logs };
}

describe('origins: CORS only for our own origin and the configured ones', () => {
  let app: App;
  before(async () => ({ app } = await start({ allowedOrigins: ['https://desk.example.com'] })));
  after(() => app.close());

  const get = (origin: string | undefined, host = '127.0.0.1:8080') =>
    app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: AGENT, host, ...(origin ? { origin } : {}) } });

  test('a foreign origin gets no Access-Control-Allow-* (the CSRF token stays unreadable to it)', async () => {
    const r = await get('http://evil.example');
    assert.equal(r.statusCode, 200);
    for (const name of Object.keys(r.headers)) assert.doesNotMatch(name, /^access-control-allow/, `${name} sent to a foreign origin`);
    assert.equal(r.headers.vary, 'Origin');
  });

  test('the configured origin and our own (by base URL or Host) are echoed with credentials', async () => {
    for (const [origin, host] of [
      ['https://desk.example.com', '127.0.0.1:8080'],
      ['http://127.0.0.1:8080', '127.0.0.1:8080'],
      ['http://localhost:9000', 'localhost:9000'],
    ]) {
      const r = await get(origin, host);
      assert.equal(r.headers['access-control-allow-origin'], origin);
      assert.equal(r.headers['access-control-allow-credentials'], 'true');
    }
  });

  test('a preflight from a foreign origin is refused: 403, statusCode 3; from an allowed one it is answered', async () => {
    const pre = (origin: string) =>
      app.fastify.inject({ method: 'OPTIONS', url: '/api/v2/me', headers: { origin, host: '127.0.0.1:8080', 'access-control-request-method': 'POST' } });
    const refused = await pre('http://evil.example');
    assert.equal(refused.statusCode, 403);
    assert.equal(JSON.parse(refused.body).statusCode, 3);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    const ok = await pre('https://desk.example.com');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://desk.example.com');
  });

  test('a CometD POST from a foreign origin is refused (CometD has no CSRF token to protect it)', async () => {
    const r = await app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/handshake',
      headers: { authorization: AGENT, origin: 'http://evil.example', host: '127.0.0.1:8080', 'content-type': 'application/json' },
      payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    assert.equal(r.statusCode, 403);
    assert.equal(JSON.parse(r.body).statusCode, 3);
  });

  test('a CometD POST from an allowed origin is answered with the CORS headers and the request id (on the raw response)', async () => {
    const r = await app.fastify.inject({
      method: 'POST',
      url: '/api/v2/notifications/handshake',
      headers: { authorization: AGENT, origin: 'https://desk.example.com', host: '127.0.0.1:8080', 'content-type': 'application/json', 'x-request-id': 'desk-7' },
      payload: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
    });
    assert.equal(JSON.parse(r.body)[0].successful, true, r.body);
    assert.equal(r.headers['access-control-allow-origin'], 'https://desk.example.com');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers.vary, 'Origin');
    assert.equal(r.headers['x-request-id'], 'desk-7');
  });
});

describe('the session cookie', () => {
  const cookieOf = async (over: Partial<Config>): Promise<string> => {
    const { app } = await start(over);
    try {
      const r = await app.fastify.inject({ method: 'GET', url: '/api/v2/me', headers: { authorization: AGENT } });
      return String(r.headers['set-cookie']);
    } finally {
      await app.close();
    }
  };

  test('is not Secure by default on http, Secure when publicBaseUrl is https, and as cookieSecure says', async () => {
    assert.doesNotMatch(await cookieOf({}), /Secure/);
    assert.match(await cookieOf({ publicBaseUrl: 'https://switchboard.example' }), /^JSESSIONID=\w+;.*; Secure$/);
    assert.match(await cookieOf({ cookieSecure: true }), /; Secure$/);
    assert.doesNotMatch(await cookieOf({ publicBaseUrl: 'https://switchboard.example', cookieSecure: false }), /Secure/);
  });
});

describe('configuration of the connection layer', () => {
  const withFile = (server: unknown): Config => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-http-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ server }));
      return loadConfig({ argv: ['--config', file] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('defaults, and the file values', () => {
    const d = loadConfig();
    assert.equal(d.connections.maxConnections, 4096);
    assert.deepEqual(d.allowedOrigins, []);
    const c = withFile({ allowedOrigins: ['http://127.0.0.1:3000'], cookieSecure: true, connections: { maxConnections: 10, lingerMs: 100 } });
    assert.deepEqual(c.allowedOrigins, ['http://127.0.0.1:3000']);
    assert.equal(c.cookieSecure, true);
    assert.equal(c.connections.maxConnections, 10);
    assert.equal(c.connections.lingerMs, 100);
  });

  test('"*", paths and non-origins in allowedOrigins, a soft limit above the cap, and headers slower than requests are problems', () => {
    assert.throws(
      () => withFile({ allowedOrigins: ['*', 'http://a.example/', 'https://b.example/app', 'nonsense'], connections: { maxConnections: 10, softMaxConnections: 11, headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const text = e.problems.join('\n');
        assert.match(text, /allowedOrigins\[0\]: "\*" is not allowed/);
        assert.match(text, /allowedOrigins\[1\]: .* not an exact origin/);
        assert.match(text, /allowedOrigins\[2\]: .* not an exact origin/);
        assert.match(text, /allowedOrigins\[3\]: .* not an exact origin/);
        assert.match(text, /softMaxConnections: must be at most maxConnections \(10\)/);
        assert.match(text, /headersTimeoutMs: must be at most requestTimeoutMs \(1000\)/);
        return true;
      },
    );
  });

  test('the idle timeout never cuts a held long-poll: it stays above cometd.timeoutMs', () => {
    const c = testConfig({ cometd: { ...testConfig().cometd, timeoutMs: 120_000 }, connections: { ...testConfig().connections, idleTimeoutMs: 1000 } });
    assert.ok(effectiveIdleTimeoutMs(c) > c.cometd.timeoutMs);
    assert.equal(serverTimeoutOptions(c).connectionTimeout, effectiveIdleTimeoutMs(c));
    const d = testConfig();
    assert.equal(effectiveIdleTimeoutMs(d), d.connections.idleTimeoutMs);
  });
});

describe('a throwing handler at each entry point is answered and logged, and the process goes on', () => {
  let app: App;
  let logs: EventCollector<Record<string, unknown>>;
  let port: number;
  before(async () => {
    ({ app, logs } = await start({ logLevel: 'error' }));
    // route handlers that fail the three ways a handler can
    app.fastify.get('/test/throws', () => {
      throw new Error('boom: secret internals');
    });
    app.fastify.get('/test/throws-a-string', () => {
      throw 'a bare string'; // eslint-disable-line no-throw-literal
    });
    app.fastify.get('/test/rejects', async () => {
      await Promise.resolve();
      throw new TypeError('async boom');
    });
    ({ port } = await app.listen());
  });
  after(() => app.close());

  test('route handlers: 500, statusCode 4 naming the request id, no stack; logged with the request id', async () => {
    for (const url of ['/test/throws', '/test/throws-a-string', '/test/rejects']) {
      const r = await fetch(`http://127.0.0.1:${port}${url}`);
      assert.equal(r.status, 500);
      const id = r.headers.get('x-request-id');
      const text = await r.text();
      assert.deepEqual(JSON.parse(text), { statusCode: 4, statusMessage: `Internal error; request id ${id}` });
      assert.doesNotMatch(text, /boom|string|at /);
      await logs.next((l) => l.reqId === id && l.level === 50, 3000, `an error log line with reqId ${id}`);
    }
  });

  test('the upgrade handler: a throwing Bayeux server gets a 500 envelope (statusCode 4) on the socket, logged', async () => {
    const bayeux = app.bayeux as { handleUpgrade: (...args: unknown[]) => void };
    const original = bayeux.handleUpgrade;
    bayeux.handleUpgrade = () => {
      throw new Error('upgrade boom');
    };
    try {
      const answer = await withTimeout(
        new Promise<string>((resolveAnswer, reject) => {
          const s = net.connect(port, '127.0.0.1');
          let raw = '';
          s.on('data', (d) => (raw += d));
          s.on('close', () => resolveAnswer(raw));
          s.on('error', reject);
          s.write(`GET /api/v2/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AGENT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        }),
        5000,
        'the refused upgrade',
      );
      assert.match(answer, /^HTTP\/1\.1 500 /);
      assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { statusCode: 4, statusMessage: 'Internal error during the websocket upgrade' });
      await logs.next((l) => l.msg === 'websocket upgrade failed', 3000, 'the upgrade failure logged');
    } finally {
      bayeux.handleUpgrade = original;
    }
    const r = await fetch(`http://127.0.0.1:${port}/api/v2/me`, { headers: { authorization: AGENT } });
    assert.equal(r.status, 200);
  });
});

describe('the process backstop', () => {
  test('an exception thrown in a timer and an unhandled rejection are logged, and the process keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-backstop-'));
    const script = join(dir, 'throws.ts');
    const backstop = resolve('src/cli/backstop.ts');
    writeFileSync(
      script,
      `import { installProcessBackstop } from ${JSON.stringify(backstop)};
const seen = new Set<string>();
installProcessBackstop(process, { error: (o: any, msg: string) => {
  process.stdout.write(JSON.stringify({ kind: o.kind, message: String(o.err?.message ?? o.err), msg }) + '\\n');
  seen.add(o.kind);
  if (seen.size === 2) setTimeout(() => { process.stdout.write('still running\\n'); process.exit(0); }, 10);
} });
setTimeout(() => { throw new Error('timer boom'); }, 0);
void Promise.reject(new Error('nobody handles this'));
`,
    );
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await withTimeout(new Promise<number | null>((r) => child.on('exit', (c) => r(c))), 20_000, 'the child process to exit').finally(() => child.kill());
      assert.equal(code, 0, `exit ${code}; stdout ${out}; stderr ${err}`);
      const lines = out.trim().split('\n');
      assert.equal(lines.at(-1), 'still running');
      const reports = lines.slice(0, -1).map((l) => JSON.parse(l));
      assert.deepEqual(reports.map((r) => r.kind).sort(), ['uncaughtException', 'unhandledRejection']);
      assert.deepEqual(reports.map((r) => r.message).sort(), ['nobody handles this', 'timer boom']);
      for (const r of reports) assert.match(r.msg, /^BUG: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
