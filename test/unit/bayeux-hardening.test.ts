/**
 * Issue 7, part 1: the Bayeux server survives hostile input and its own failures.
 *
 * - Every field that is echoed or used (id, channel, clientId, subscription, ext, advice,
 *   supportedConnectionTypes) is checked by type and size; a bad one is refused at once with a 400
 *   Bayeux error, over long-polling and websocket (the deeply nested id used to be held, then crash
 *   the process when the hold timer tried to echo it).
 * - Each entry point from the event loop (sweeper, hold timer, flush microtask, delivery,
 *   websocket message/close/error callbacks, long-poll response writing, publishToUser) is given a
 *   throwing piece (a log sink, an authenticate hook, a poisoned session, a broken response) and
 *   the server is shown to log it and keep serving.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BayeuxHost, RawWebSocket, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';
import { EventCollector, withTimeout } from '../helpers/wait.js';
import { BayeuxEngine } from '../../src/bayeux/engine.js';
import { LongPollingTransport } from '../../src/bayeux/long-polling.js';
import { makeLog, resolveOptions } from '../../src/bayeux/options.js';
import { WebSocketTransport } from '../../src/bayeux/websocket.js';
import { createBayeuxServer } from '../../src/bayeux/server.js';
import type { Session, WsLink } from '../../src/bayeux/session.js';

const alice = { 'x-user': 'alice' };

/** An array nested `depth` levels deep: JSON.parse reads it, JSON.stringify throws RangeError on it. */
function deepArrayJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Uncaught exceptions while a test runs are failures of that test, recorded here as well. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => void uncaught.push(err);
before(() => process.on('uncaughtException', onUncaught));
after(() => process.off('uncaughtException', onUncaught));
afterEach(() => assert.deepEqual(uncaught.splice(0), [], 'no exception reached the event loop'));

describe('bayeux input validation', () => {
  let host: BayeuxHost;
  before(async () => {
    host = await startBayeuxHost({ timeoutMs: 300, maxIntervalMs: 5000 });
  });
  after(() => host.close());

  it('refuses at once a long-poll connect whose id is a deeply nested array, and keeps serving', async () => {
    const clientId = await rawHandshake(host.url, alice);
    const body = `[{"channel":"/meta/connect","clientId":"${clientId}","connectionType":"long-polling","id":${deepArrayJson(6000)}}]`;
    assert.ok(body.length > 12000, 'about 12 KB');
    const r = await withTimeout(rawPost(host.url + '/connect', body, alice), 3000, 'the refusal of the poisoned connect');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [{ channel: '/meta/connect', successful: false, error: '400::id must be a string or number' }]);
    // the session is still usable and a held connect still completes on its timer
    const next = await withTimeout(rawPost(host.url + '/connect', [{ id: 'ok', channel: '/meta/connect', clientId, connectionType: 'long-polling' }], alice), 3000, 'a normal held connect');
    assert.equal(next.body.at(-1).successful, true);
    assert.equal(typeof (await rawHandshake(host.url, alice)), 'string', 'a new handshake works');
  });

  it('refuses the same poisoned connect over websocket, and the socket keeps working', async () => {
    const ws = await RawWebSocket.open(host.url, alice);
    try {
      ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
      const { clientId } = await ws.reply('h');
      ws.send(`[{"channel":"/meta/connect","clientId":"${clientId}","connectionType":"websocket","id":${deepArrayJson(6000)}}]`);
      const refusal = await ws.messages.next((m) => m.channel === '/meta/connect', 3000, 'the refusal of the poisoned connect');
      assert.deepEqual(refusal, { channel: '/meta/connect', successful: false, error: '400::id must be a string or number' });
      ws.send([{ id: 'c', channel: '/meta/connect', clientId, connectionType: 'websocket' }]);
      assert.equal((await ws.reply('c')).successful, true, 'the held connect completes on its timer');
    } finally {
      await ws.close();
    }
  });

  // [field values, expected error] for a subscribe message of a live session
  const BAD_FIELDS: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ['id object', { id: { a: 1 } }, '400::id must be a string or number'],
    ['id boolean', { id: true }, '400::id must be a string or number'],
    ['id null', { id: null }, '400::id must be a string or number'],
    ['id too long', { id: 'x'.repeat(257) }, '400::id must be at most 256 characters'],
    ['clientId number', { clientId: 7 }, '400::clientId must be a string'],
    ['clientId too long', { clientId: 'c'.repeat(129) }, '400::clientId must be at most 128 characters'],
    ['subscription object', { subscription: { '/a': 1 } }, '400::subscription must be a channel or an array of channels'],
    ['subscription nested', { subscription: [['/a']] }, '400::subscription must be a channel or an array of channels'],
    ['subscription too many', { subscription: Array.from({ length: 101 }, (_, i) => `/c/${i}`) }, '400::at most 100 channels per subscription message'],
    ['subscription too long', { subscription: '/' + 'a'.repeat(1024) }, '400::subscription must be at most 1024 characters'],
    ['ext array', { ext: [1] }, '400::ext must be an object'],
    ['ext string', { ext: 'ack' }, '400::ext must be an object'],
    ['advice string', { advice: 'fast' }, '400::advice must be an object'],
    ['advice.timeout string', { advice: { timeout: '0' } }, '400::advice.timeout and advice.interval must be non-negative numbers'],
    ['advice.interval negative', { advice: { interval: -1 } }, '400::advice.timeout and advice.interval must be non-negative numbers'],
  ];

  it('refuses every message with a field of the wrong type or size, echoing the id only when valid', async () => {
    const clientId = await rawHandshake(host.url, alice);
    const batch = BAD_FIELDS.map(([, fields]) => ({ id: 'i', channel: '/meta/subscribe', clientId, subscription: '/v2/me/calls', ...fields }));
    const r = await rawPost(host.url, batch, alice);
    assert.equal(r.status, 200);
    const got = r.body.map((m: any, i: number) => [BAD_FIELDS[i][0], m.error, m.successful, 'id' in m]);
    const want = BAD_FIELDS.map(([name, fields, error]) => [name, error, false, !('id' in fields)]);
    assert.deepEqual(got, want);
  });

  it('refuses a handshake with an oversized supportedConnectionTypes for good, and a channel over 1024 characters with HTTP 400', async () => {
    const types = Array.from({ length: 5000 }, () => 'x'.repeat(20));
    const r = await rawPost(host.url + '/handshake', [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: types }], alice);
    assert.deepEqual(r.body, [{ id: 'h', channel: '/meta/handshake', advice: { reconnect: 'none' }, successful: false, error: '400::supportedConnectionTypes must be an array of at most 16 short strings' }]);
    const long = await rawPost(host.url, [{ id: 'p', channel: '/' + 'a'.repeat(2000), data: {} }], alice);
    assert.equal(long.status, 400);
    assert.equal(long.body[0].error, '400::bad_message');
  });
});

describe('bayeux survives a throwing log sink', () => {
  let host: BayeuxHost;
  before(async () => {
    host = await startBayeuxHost({
      timeoutMs: 300,
      maxIntervalMs: 100,
      onLog: () => {
        throw new Error('log sink is broken');
      },
    });
  });
  after(() => host.close());

  it('serves handshake, subscribe, held connects, deliveries and expiry over both transports', async () => {
    const clientId = await rawHandshake(host.url, alice);
    await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId, subscription: '/v2/me/*' }], alice);
    const pending = rawPost(host.url + '/connect', [{ id: 'c', channel: '/meta/connect', clientId, connectionType: 'long-polling' }], alice);
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === clientId.slice(0, 8), 3000, 'the held connect');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
    assert.deepEqual((await withTimeout(pending, 3000, 'the delivery')).body.map((m: any) => m.channel), ['/v2/me/calls', '/meta/connect']);

    const ws = await RawWebSocket.open(host.url, alice);
    ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
    const wsId = (await ws.reply('h')).clientId;
    ws.send([{ id: 's', channel: '/meta/subscribe', clientId: wsId, subscription: '/v2/me/*' }, { id: 'c', channel: '/meta/connect', clientId: wsId, connectionType: 'websocket' }]);
    await ws.reply('s');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
    assert.deepEqual((await ws.messages.next((m) => m.channel === '/v2/me/calls', 3000, 'the websocket delivery')).data, { n: 2 });
    await ws.close();
    // with nothing connecting any more, the sweeper still expires both sessions
    await host.logs.next((l) => l.reason === 'expired' && l.session === wsId.slice(0, 8), 3000, 'the websocket session to expire');
    await host.logs.next((l) => l.reason === 'expired' && l.session === clientId.slice(0, 8), 3000, 'the long-poll session to expire');
  });
});

/** An engine with a recording log, for poisoning its parts directly. */
function engineWithLog(overrides: object = {}): { engine: BayeuxEngine; logs: EventCollector<any> } {
  const logs = new EventCollector<any>('engine log');
  const sink = { info: (o: object, msg?: string) => logs.push({ ...o, msg }), warn: (o: object, msg?: string) => logs.push({ ...o, msg }), debug: (o: object, msg?: string) => logs.push({ ...o, msg }) };
  const engine = new BayeuxEngine(resolveOptions({ timeoutMs: 200, intervalMs: 0, maxIntervalMs: 60, maxQueue: 100, authenticate: () => 'alice', ...overrides }), makeLog(sink));
  return { engine, logs };
}

/** Make reading `property` of `target` throw. */
function poison(target: object, property: string): void {
  Object.defineProperty(target, property, {
    get() {
      throw new Error(`poisoned ${property}`);
    },
    set() {
      throw new Error(`poisoned ${property}`);
    },
    configurable: true,
  });
}

const failed = (what: string) => (l: any) => l.msg === `bayeux: ${what} failed`;

describe('bayeux entry points catch, log and carry on', () => {
  let engine: BayeuxEngine;
  let logs: EventCollector<any>;
  beforeEach(() => ({ engine, logs } = engineWithLog()));
  afterEach(() => engine.shutdown());

  it('the sweeper: a poisoned session does not stop the others from expiring', async () => {
    const bad = engine.createSession('alice', undefined, false);
    const good = engine.createSession('alice', undefined, false);
    poison(bad, 'held');
    await logs.next(failed('session sweep'), 3000, 'the sweep failure to be logged');
    await logs.next((l) => l.reason === 'expired' && l.session === good.tag, 3000, 'the healthy session to expire');
    await logs.next(failed('session sweep'), 3000, 'the sweeper to run again');
  });

  it('the hold timer: a failing answer is replaced by a generic failure reply', async () => {
    const s = engine.createSession('alice', undefined, false);
    const sent = new EventCollector<any>('sent');
    engine.finishConnect({ session: s, request: { id: 'c', channel: '/meta/connect' }, holdMs: 20, link: null, browser: null }, (events, reply) => sent.push({ events, reply: JSON.parse(reply) }));
    s.takeQueue = () => {
      throw new Error('poisoned queue');
    };
    const answer = await sent.next(() => true, 3000, 'the held connect to be answered');
    assert.deepEqual(answer, { events: [], reply: { channel: '/meta/connect', successful: false, error: '500::server_error', advice: { reconnect: 'handshake', interval: 0 } } });
    await logs.next(failed('connect answer'), 3000, 'the failure to be logged');
  });

  it('the flush microtask and the delivery loop: a broken websocket does not stop delivery to the other sessions', async () => {
    const broken: WsLink = {
      userKey: 'alice',
      sessions: new Set<Session>(),
      isOpen: () => true,
      send: () => {
        throw new Error('socket is broken');
      },
      close: () => {},
    };
    const onBroken = engine.createSession('alice', broken, false);
    const poisoned = engine.createSession('alice', undefined, false);
    const healthy = engine.createSession('alice', undefined, false);
    for (const s of [onBroken, poisoned, healthy]) s.subscriptions.add('/v2/me/*');
    poisoned.wants = () => {
      throw new Error('poisoned subscriptions');
    };
    assert.equal(engine.deliver('alice', '/v2/me/calls', { n: 1 }), 2);
    assert.deepEqual(healthy.queue, ['{"channel":"/v2/me/calls","data":{"n":1}}']);
    await logs.next(failed('delivery'), 3000, 'the poisoned session to be logged');
    await logs.next(failed('queue flush'), 3000, 'the broken socket flush to be logged');
  });

  it('publishToUser and disconnectUser never throw, whatever the payload', async () => {
    const hostLogs = new EventCollector<any>('server log');
    const sink = { info: () => {}, debug: () => {}, warn: (o: object, msg?: string) => hostLogs.push({ ...o, msg }) };
    const server = createBayeuxServer({ timeoutMs: 200, intervalMs: 0, maxIntervalMs: 100, maxQueue: 10, authenticate: () => 'alice', log: sink });
    try {
      const cyclic: { self?: unknown } = {};
      cyclic.self = cyclic;
      const http = await hostOn((req, res) => server.handlePost(req, res, [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]));
      const hs = await rawPost(http.url, '[]');
      const clientId = hs.body[0].clientId;
      const sub = await hostOn((req, res) => server.handlePost(req, res, [{ id: 's', channel: '/meta/subscribe', clientId, subscription: '/**' }]));
      assert.equal((await rawPost(sub.url, '[]')).body[0].successful, true);
      assert.doesNotThrow(() => server.publishToUser('alice', '/v2/me/calls', cyclic));
      assert.doesNotThrow(() => server.publishToUser('alice', '/v2/me/calls', { big: 10n }));
      await hostLogs.next(failed('delivery'), 3000, 'the unserialisable payload to be logged');
      assert.doesNotThrow(() => server.disconnectUser('alice'));
      assert.equal(server.sessionCount(), 0);
      await Promise.all([http.close(), sub.close()]);
    } finally {
      await server.close();
    }
  });

  it('long-poll response writing: a response that throws is logged, and the next request is served', async () => {
    const lp = new LongPollingTransport(engine);
    const req = { url: '/api/v2/notifications', headers: {} } as IncomingMessage;
    const res = {
      writableEnded: false,
      destroyed: false,
      headersSent: false,
      setHeader() {},
      writeHead() {
        throw new Error('response is broken');
      },
      once() {
        return this;
      },
      end() {},
    } as unknown as ServerResponse;
    assert.doesNotThrow(() => lp.handlePost(req, res, [{ id: 'h', channel: '/meta/handshake', version: '1.0' }]));
    await logs.next(failed('long-poll response'), 3000, 'the broken response to be logged');
    await lp.close();
  });

  it('websocket message, close and error callbacks: failures are logged and the socket keeps working', async () => {
    const transport = new WebSocketTransport(engine);
    const http = createServer((_req, res) => res.writeHead(404).end());
    http.on('upgrade', (req, socket, head) => transport.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v2/notifications`;
    const ws = await RawWebSocket.open(url);
    try {
      // message: the batch processing throws once
      const finish = engine.finishConnect.bind(engine);
      engine.finishConnect = () => {
        throw new Error('poisoned connect handling');
      };
      ws.send([{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]);
      const { clientId } = await ws.reply('h');
      ws.send([{ id: 'c1', channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 } }]);
      await logs.next((l) => l.msg === 'bayeux: websocket frame failed' || l.msg === 'bayeux: websocket message failed', 3000, 'the frame failure to be logged');
      engine.finishConnect = finish;
      ws.send([{ id: 'c2', channel: '/meta/connect', clientId, connectionType: 'websocket', advice: { timeout: 0 } }]);
      assert.equal((await ws.reply('c2')).successful, true, 'the next frame is served');
      // error: the server-side socket reports an error while the log sink... is fine; it must not throw
      const serverSide = [...(transport as unknown as { sockets: Set<import('ws').WebSocket> }).sockets][0];
      assert.doesNotThrow(() => serverSide.emit('error', new Error('injected socket error')));
      // close: a poisoned session on the link makes unlink fail; the close is still handled
      const session = engine.registry.find(clientId, 'alice')!;
      poison(session, 'held');
      await ws.close();
      await logs.next(failed('websocket unlink'), 3000, 'the close failure to be logged');
      assert.equal((transport as unknown as { sockets: Set<unknown> }).sockets.size, 0, 'the socket is forgotten');
    } finally {
      await transport.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('a throwing authenticate hook refuses the request instead of failing it', async () => {
    ({ engine, logs } = engineWithLog({
      authenticate: () => {
        throw new Error('auth store is down');
      },
    }));
    const lp = new LongPollingTransport(engine);
    const http = await hostOn((req, res) => lp.handlePost(req, res, [{ id: 'h', channel: '/meta/handshake', version: '1.0' }]));
    const r = await rawPost(http.url, '[]');
    assert.equal(r.status, 200);
    assert.equal(r.body[0].error, '403::handshake_denied');
    await http.close();
  });
});

/** A one-handler HTTP server on an ephemeral port. */
async function hostOn(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
