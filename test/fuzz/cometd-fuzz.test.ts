/**
 * CometD fuzzer (issue 7 point 10): seeded Bayeux traffic against the real server on an ephemeral
 * port, over long-polling (keep-alive HTTP POSTs to /api/v2/notifications and its sub-paths) and
 * websocket (frames on authenticated sockets): valid and mutated handshakes, connects, subscribes,
 * unsubscribes, disconnects and publishes, with ids of every type (nested thousands deep among
 * them), wrong types in every field, unknown and wildcard channels, clientIds of other users and of
 * nobody, batches empty, huge and malformed, bad JSON and bad credentials. Asserts: no 5xx and no
 * 5xx-class Bayeux error (other than server closing); every HTTP body is JSON (a Bayeux array, or
 * the GWS envelope); every request, and every websocket frame, is answered (or its socket closed)
 * within a bound; afterwards a normal handshake and an authenticated GET still work.
 * FUZZ_SEED / FUZZ_COUNT vary the run; the seed is printed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { Api, basic } from '../api/harness.js';
import { testConfig } from '../../src/config/load.js';
import { rawHandshake } from '../helpers/cometd-client.js';
import { withTimeout } from '../helpers/wait.js';
import { SHUTDOWN_GRACE_MS } from '../../src/gws/connections.js';
import { FailureLog, NASTY_STRINGS, Random, bayeuxProblem, brief, fuzzCount, fuzzSeed, gwsProblem, hostileString, hostileValue, nestedText } from './fuzz-kit.js';

const SEED = fuzzSeed();
/** long-polling requests; websocket frames are 40% more on top */
const COUNT = fuzzCount(1800);
const WEBSOCKET_COUNT = Math.ceil(COUNT * 0.4);
const BOUND_MS = 4000;
/** app.close() after the fuzz: the shutdown grace plus a margin */
const CLOSE_BOUND_MS = SHUTDOWN_GRACE_MS + 8000;
const PARALLEL_POSTS = 6;
const PARALLEL_SOCKETS = 4;
/** the server holds a /meta/connect this long at most, so that valid connects come back quickly */
const CONNECT_HOLD_MS = 200;
const USERS = ['agent1', 'agent2', 'agent3', 'agent4', 'agent5', 'supervisor1'] as const;
const MOUNT = '/api/v2/notifications';

/** clientIds seen in successful handshakes, by user */
const pool = new Map<string, string[]>();
function remember(user: string, clientId: unknown): void {
  if (typeof clientId !== 'string') return;
  const list = pool.get(user) ?? [];
  list.push(clientId);
  pool.set(user, list.slice(-8));
}

function clientIdFor(random: Random, user: string): unknown {
  const own = pool.get(user) ?? [];
  const others = [...pool].filter(([u]) => u !== user).flatMap(([, ids]) => ids);
  return random.weighted<() => unknown>([
    [6, () => (own.length ? random.pick(own) : 'none')],
    [1, () => (others.length ? random.pick(others) : 'none')],
    [1, () => random.text(40, '0123456789abcdef')],
    [1, () => hostileValue(random)],
    [0.5, () => undefined],
  ])();
}

function id(random: Random, index: number): unknown {
  return random.weighted<() => unknown>([
    [10, () => String(index)],
    [2, () => index],
    [1, () => hostileValue(random)],
    [0.3, () => ({ nested: [[[['x']]]] })],
  ])();
}

const CHANNELS: readonly (readonly [number, string])[] = [
  [5, '/meta/handshake'],
  [8, '/meta/connect'],
  [5, '/meta/subscribe'],
  [2, '/meta/unsubscribe'],
  [1, '/meta/disconnect'],
  [1, '/meta/unknown'],
  [1, '/meta/connect/extra'],
  [1, '/v2/me/calls'],
  [1, '/service/x'],
  [1, '/**'],
  [1, '/meta/*'],
  [1, ''],
  [1, 'no-slash'],
];

const SUBSCRIPTIONS = ['/v2/me/*', '/v2/me/**', '/v2/me/calls', '/**', '/*', '/meta/*', '/meta/connect', '/v2/users/someone/*', '/v2/me/*/x', '', 'nope', '/a/**/b', '/' + 'x/'.repeat(500)];

/** One Bayeux message, valid or mutated. */
function message(random: Random, user: string, index: number, transport: 'long-polling' | 'websocket'): Record<string, unknown> {
  const channel = random.chance(0.95) ? random.weighted(CHANNELS) : hostileString(random).slice(0, 200);
  const m: Record<string, unknown> = { channel, id: id(random, index) };
  const fields: Record<string, () => void> = {
    '/meta/handshake': () => {
      m.version = random.chance(0.9) ? '1.0' : hostileValue(random);
      m.supportedConnectionTypes = random.chance(0.9) ? [transport, random.pick(['long-polling', 'websocket', 'callback-polling'])] : hostileValue(random);
      if (random.chance(0.2)) m.minimumVersion = hostileValue(random);
    },
    '/meta/connect': () => {
      m.clientId = clientIdFor(random, user);
      m.connectionType = random.chance(0.9) ? transport : hostileValue(random);
      m.advice = random.weighted<() => unknown>([[8, () => ({ timeout: 0 })], [1, () => ({ timeout: random.pick([-1, 1e12, '0', null]) })], [1, () => hostileValue(random)]])();
    },
    '/meta/subscribe': () => {
      m.clientId = clientIdFor(random, user);
      m.subscription = random.weighted<() => unknown>([[6, () => random.pick(SUBSCRIPTIONS)], [1, () => Array.from({ length: 1 + random.int(300) }, () => random.pick(SUBSCRIPTIONS))], [2, () => hostileValue(random)]])();
    },
    '/meta/unsubscribe': () => {
      m.clientId = clientIdFor(random, user);
      m.subscription = random.chance(0.8) ? random.pick(SUBSCRIPTIONS) : hostileValue(random);
    },
    '/meta/disconnect': () => {
      m.clientId = clientIdFor(random, user);
    },
  };
  ((Object.hasOwn(fields, channel) ? fields[channel] : undefined) ?? (() => ((m.clientId = clientIdFor(random, user)), (m.data = hostileValue(random)))))();
  if (random.chance(0.1)) m.ext = hostileValue(random);
  if (random.chance(0.1)) m[random.pick(NASTY_STRINGS) || 'extra'] = hostileValue(random);
  if (random.chance(0.05)) delete m[random.pick(Object.keys(m))];
  return m;
}

/** A request body or frame: usually a batch of messages, sometimes something else entirely. */
function payload(random: Random, user: string, index: number, transport: 'long-polling' | 'websocket'): string {
  return random.weighted<() => string>([
    [30, () => JSON.stringify(Array.from({ length: 1 + random.int(3) }, (_, k) => message(random, user, index * 10 + k, transport)))],
    [4, () => JSON.stringify(message(random, user, index, transport))],
    [1, () => JSON.stringify(Array.from({ length: 900 + random.int(300) }, (_, k) => ({ channel: '/meta/unknown', id: String(k) })))],
    [1, () => `[{"channel":"/meta/connect","clientId":"x","id":${nestedText(500 + random.int(3000), random.chance(0.5) ? 'array' : 'object', '"x"')}}]`],
    [2, () => random.pick(['', '[]', '{}', '[1]', '[null]', '[[]]', '"/meta/handshake"', '[{"channel":1}]', '[{"channel":null}]', '{"channel":', 'nul', '\u0000', '[{"channel":"/meta/handshake"}'])],
    [1, () => JSON.stringify(hostileValue(random))],
  ])();
}

let lastError = '';
let reusedResets = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL_POSTS + 2 });

function post(port: number, path: string, body: string, headers: Record<string, string>, fresh = false): Promise<{ status: number; contentType: string; body: string } | 'timeout' | 'closed' | 'reused-reset'> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: fresh ? false : agent, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', () => resolve('closed'));
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve('timeout');
    }, BOUND_MS);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      lastError = `${err.code ?? ''} ${err.message}`;
      resolve(req.reusedSocket ? 'reused-reset' : 'closed');
    });
    req.end(body);
  });
}

function credentials(random: Random, user: string): { headers: Record<string, string>; label: string } {
  return random.weighted<() => { headers: Record<string, string>; label: string }>([
    [30, () => ({ headers: { Authorization: basic(user) }, label: user })],
    [1, () => ({ headers: {}, label: 'no credentials' })],
    [1, () => ({ headers: { Authorization: 'Basic !!!' }, label: 'malformed Authorization' })],
    [1, () => ({ headers: { Cookie: `JSESSIONID=${random.text(32, '0123456789ABCDEF')}` }, label: 'unknown cookie' })],
  ])();
}

/** Long-polling: one POST per case. */
async function fuzzLongPolling(port: number, failures: FailureLog, statuses: Map<number, number>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < COUNT) {
      const index = next++;
      const random = Random.forCase(SEED, 'cometd-lp', index);
      const user = random.pick(USERS);
      const auth = credentials(random, user);
      const path = MOUNT + random.pick(['', '/', '/handshake', '/connect', '/subscribe', '/x/y/z', '/%zz', '/' + 'a'.repeat(300)]);
      const contentType = random.chance(0.95) ? 'application/json' : random.pick(['text/plain', 'application/json;charset=utf-8', 'application/x-www-form-urlencoded']);
      const body = payload(random, user, index, 'long-polling');
      const label = `long-polling case ${index}: POST ${brief(path, 80)} as ${auth.label} (${contentType}) ${brief(body, 500)}`;
      let r = await post(port, path, body, { ...auth.headers, 'Content-Type': contentType });
      if (r === 'reused-reset') {
        // the server never closes a keep-alive connection under a client it did not tell to close
        // (an early answer drains the body and keeps the connection usable): a reset is a failure
        failures.add(`long-polling: reset on a reused keep-alive socket (${lastError})`, label);
        reusedResets++;
        r = await post(port, path, body, { ...auth.headers, 'Content-Type': contentType }, true);
      }
      if (r === 'reused-reset') r = 'closed';
      if (r === 'timeout') {
        failures.add('long-polling: no answer (hang)', label);
        continue;
      }
      if (r === 'closed') {
        failures.add(`long-polling: connection closed without an answer (${lastError})`, label);
        continue;
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const problem = gwsProblem(r.status, r.contentType, r.body, 'POST', true);
      if (problem) failures.add(`long-polling: ${problem}`, `${label} -> HTTP ${r.status} ${brief(r.body, 300)}`);
      try {
        const replies = JSON.parse(r.body);
        if (Array.isArray(replies) && auth.label === user) for (const m of replies) if (m?.channel === '/meta/handshake' && m.successful) remember(user, m.clientId);
      } catch {
        /* reported above */
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_POSTS }, worker));
}

/** An open websocket and what it received. */
class FuzzSocket {
  readonly frames: string[] = [];
  closed = false;
  private wake: (() => void) | null = null;

  private constructor(readonly ws: WebSocket, readonly user: string) {
    ws.on('message', (data) => {
      this.frames.push(data.toString());
      this.wake?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    ws.on('error', () => {});
  }

  static open(port: number, user: string): Promise<FuzzSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${MOUNT}`, { headers: { Authorization: basic(user) } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(ws, user)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** resolves true when a frame arrived or the socket closed since `seen` frames, false after the bound */
  answered(seen: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (this.frames.length > seen || this.closed) {
          clearTimeout(timer);
          this.wake = null;
          resolve(true);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, BOUND_MS);
      if (!check()) this.wake = () => void check();
    });
  }
}

/** Websocket: frames on a few sockets, one after another on each; a closed socket is replaced. */
async function fuzzWebSocket(port: number, failures: FailureLog): Promise<number> {
  let next = 0;
  let reopened = 0;
  const worker = async (slot: number): Promise<void> => {
    const user = USERS[slot % USERS.length];
    let socket = await FuzzSocket.open(port, user);
    while (next < WEBSOCKET_COUNT) {
      const index = next++;
      const random = Random.forCase(SEED, 'cometd-ws', index);
      const frame = payload(random, user, index, 'websocket');
      const label = `websocket case ${index} as ${user}: ${brief(frame, 500)}`;
      const seen = socket.frames.length;
      socket.ws.send(frame);
      if (!(await socket.answered(seen))) failures.add('websocket: frame neither answered nor socket closed (hang)', label);
      for (const text of socket.frames.slice(seen)) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          failures.add('websocket: frame is not JSON', `${label} -> ${brief(text, 200)}`);
          continue;
        }
        const problem = bayeuxProblem(json);
        if (problem) failures.add(`websocket: ${problem}`, `${label} -> ${brief(text, 300)}`);
        if (Array.isArray(json)) for (const m of json) if (m?.channel === '/meta/handshake' && m.successful) remember(user, m.clientId);
      }
      if (socket.closed) {
        reopened++;
        socket = await FuzzSocket.open(port, user);
      }
    }
    socket.ws.close();
  };
  await Promise.all(Array.from({ length: PARALLEL_SOCKETS }, (_, slot) => worker(slot)));
  return reopened;
}

test(`CometD fuzz: ${COUNT} long-polling requests and ${WEBSOCKET_COUNT} websocket frames (FUZZ_SEED=${SEED})`, async () => {
  console.log(`# cometd fuzz: FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
  const api = await Api.start({ cometd: { ...testConfig().cometd, timeoutMs: CONNECT_HOLD_MS, maxIntervalMs: 3000 } });
  const failures = new FailureLog('CometD fuzz', SEED);
  const statuses = new Map<number, number>();
  try {
    const { port, baseUrl } = await api.app.listen();
    for (const user of USERS) {
      await api.startSession(user);
      for (let k = 0; k < 2; k++) remember(user, await rawHandshake(baseUrl + MOUNT, { Authorization: basic(user) }));
    }
    await fuzzLongPolling(port, failures, statuses);
    const reopened = await fuzzWebSocket(port, failures);
    console.log(`# cometd fuzz: long-polling HTTP statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}; websockets reopened after a close: ${reopened}; keep-alive resets: ${reusedResets}`);
    // alive: a normal handshake over each transport, and an authenticated GET
    const clientId = await rawHandshake(baseUrl + MOUNT, { Authorization: basic('agent6') });
    assert.equal(typeof clientId, 'string');
    const socket = await FuzzSocket.open(port, 'agent6');
    socket.ws.send(JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'alive' }]));
    assert.ok(await socket.answered(0), 'a websocket handshake after the fuzz is answered');
    assert.equal(JSON.parse(socket.frames[0])[0].successful, true, `websocket handshake after the fuzz: ${socket.frames[0]}`);
    socket.ws.close();
    const me = await api.get('/api/v2/me', basic('agent1'));
    assert.equal(me.json.statusCode, 0);
    failures.assertNone();
  } finally {
    agent.destroy();
    // app.close() settles even with requests left half-sent or unread by the fuzz (it once never
    // did: see test/fuzz/shutdown.test.ts); bounded so that a regression fails instead of hanging
    await withTimeout(api.close(), CLOSE_BOUND_MS, 'app.close() after the CometD fuzz');
  }
});
