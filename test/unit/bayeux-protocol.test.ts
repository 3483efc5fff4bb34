/**
 * The Bayeux server over raw HTTP long-polling: body validation, handshake (with the host's ext
 * members), id echo, 402 + handshake advice, publish refusal, subscriptions, held connects and
 * batching, per-user isolation.
 * The host authenticates by the x-user header (see test/helpers/cometd-client.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BayeuxHost, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';
import { withTimeout } from '../helpers/wait.js';

const alice = { 'x-user': 'alice' };
const bob = { 'x-user': 'bob' };
const SESSION_UNKNOWN = { error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } };

let host: BayeuxHost;
before(async () => {
  host = await startBayeuxHost({ timeoutMs: 10000, maxIntervalMs: 10000 });
});
after(() => host.close());

const post = (body: unknown, headers: Record<string, string> = alice, path = '') => rawPost(host.url + path, body, headers);
const connect = (clientId: string, id: string, extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType: 'long-polling', ...extra });
const subscribe = (clientId: string, id: string, subscription: unknown) => ({ id, channel: '/meta/subscribe', clientId, subscription });
/** resolves when the server logged that it processed a subscribe of this session */
const subscribed = (clientId: string, what: string) =>
  host.logs.next((l) => l.msg === 'bayeux subscribe' && l.session === clientId.slice(0, 8), 3000, what);

describe('bayeux over HTTP: request bodies', () => {
  for (const [name, body] of [
    ['a number', 42],
    ['a string', 'hello'],
    ['null', null],
    ['an empty array', []],
    ['a message without channel', [{ id: '1' }]],
    ['a message with a numeric channel', { channel: 5 }],
    ['an array holding a non-object', [{ channel: '/meta/handshake' }, 'x']],
  ] as const) {
    it(`answers ${name} with HTTP 400 and a JSON error`, async () => {
      const r = await post(JSON.stringify(body));
      assert.equal(r.status, 400);
      assert.match(r.contentType ?? '', /^application\/json/);
      assert.deepEqual(r.body, [{ successful: false, error: '400::bad_message' }]);
    });
  }

  it('accepts a single message object and any single extra path segment', async () => {
    for (const path of ['', '/', '/handshake', '/whatever']) {
      const r = await post({ id: 'x', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }, alice, path);
      assert.equal(r.status, 200, path);
      assert.match(r.contentType ?? '', /^application\/json/);
      assert.equal(r.body.length, 1);
      assert.equal(r.body[0].successful, true, path);
    }
  });
});

describe('bayeux over HTTP: handshake', () => {
  it('succeeds for an authenticated request and echoes the id', async () => {
    const r = await post([{ id: '1', channel: '/meta/handshake', version: '1.0', minimumVersion: '1.0', supportedConnectionTypes: ['websocket', 'long-polling', 'callback-polling'], advice: { timeout: 60000, interval: 0 }, ext: { ack: true, foo: 1 } }]);
    assert.equal(r.status, 200);
    const [m] = r.body;
    assert.equal(m.id, '1');
    assert.equal(m.channel, '/meta/handshake');
    assert.equal(m.successful, true);
    assert.equal(m.version, '1.0');
    assert.deepEqual(m.supportedConnectionTypes, ['long-polling', 'websocket']);
    assert.match(m.clientId, /^[0-9a-zA-Z]{32,}$/, 'at least 128 bits, alphanumeric');
    assert.equal(m.advice.reconnect, 'retry');
    assert.equal(m.advice.interval, 0);
    assert.equal(m.advice.timeout, 10000);
    assert.deepEqual(m.ext, { ack: true }, 'the ack extension asked for is advertised; unknown ext entries are ignored');
  });

  it("carries the host's handshake ext members beside ack, which they cannot replace; a refused handshake carries none", async () => {
    const own = await startBayeuxHost({ handshakeExt: { switchStart: 'start-1', ack: 'not the extension' } });
    try {
      const handshake = (ext?: object) => [{ id: '1', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], ...(ext ? { ext } : {}) }];
      assert.deepEqual((await rawPost(own.url, handshake(), alice)).body[0].ext, { switchStart: 'start-1' });
      assert.deepEqual((await rawPost(own.url, handshake({ ack: true }), alice)).body[0].ext, { switchStart: 'start-1', ack: true });
      assert.equal((await rawPost(own.url, handshake(), {})).body[0].ext, undefined, 'not authenticated: no ext');
    } finally {
      await own.close();
    }
  });

  it('gives every handshake a new clientId', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await rawHandshake(host.url, alice));
    assert.equal(ids.size, 5);
  });

  it('refuses an unauthenticated handshake for good (403, reconnect none)', async () => {
    const r = await post([{ id: '7', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }], {});
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [{ id: '7', channel: '/meta/handshake', successful: false, error: '403::handshake_denied', advice: { reconnect: 'none' } }]);
  });

  it('fails with 301 when no connection type is shared', async () => {
    const r = await post([{ id: '2', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['callback-polling'] }]);
    assert.equal(r.body[0].id, '2');
    assert.equal(r.body[0].successful, false);
    assert.match(r.body[0].error, /^301:/);
  });

  it('ignores other messages batched with a handshake', async () => {
    const r = await post([
      { id: '1', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
      { id: '2', channel: '/meta/subscribe', subscription: '/a' },
    ]);
    assert.equal(r.body.length, 1);
    assert.equal(r.body[0].successful, true);
  });
});

describe('bayeux over HTTP: sessions', () => {
  it('answers messages naming an unknown clientId with 402 and handshake advice, echoing ids', async () => {
    const r = await post([
      connect('nope', '10'),
      subscribe('nope', '11', '/v2/me/*'),
      { id: '12', channel: '/meta/unsubscribe', clientId: 'nope', subscription: '/v2/me/*' },
      { id: '13', channel: '/meta/disconnect', clientId: 'nope' },
    ]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.map((m: any) => [m.id, m.channel, m.successful, m.error, m.advice]), [
      ['10', '/meta/connect', false, SESSION_UNKNOWN.error, SESSION_UNKNOWN.advice],
      ['11', '/meta/subscribe', false, SESSION_UNKNOWN.error, SESSION_UNKNOWN.advice],
      ['12', '/meta/unsubscribe', false, SESSION_UNKNOWN.error, SESSION_UNKNOWN.advice],
      ['13', '/meta/disconnect', false, SESSION_UNKNOWN.error, SESSION_UNKNOWN.advice],
    ]);
    assert.equal(r.body[1].subscription, '/v2/me/*', 'subscription is repeated even on failure');
  });

  it("treats another user's clientId, or an unauthenticated request, like an unknown session", async () => {
    const id = await rawHandshake(host.url, alice);
    for (const headers of [bob, {}]) {
      const r = await post([connect(id, '1', { advice: { timeout: 0 } }), subscribe(id, '2', '/**')], headers);
      assert.deepEqual(r.body.map((m: any) => m.error), [SESSION_UNKNOWN.error, SESSION_UNKNOWN.error]);
    }
    const own = await post([connect(id, '3', { advice: { timeout: 0 } })]);
    assert.equal(own.body[0].successful, true, 'the owner still gets through');
  });

  it('answers a connect with advice.timeout 0 at once', async () => {
    const id = await rawHandshake(host.url, alice);
    const r = await withTimeout(post([connect(id, '5', { advice: { timeout: 0 } })]), 3000, 'an immediate connect reply (server timeout is 10 s)');
    assert.deepEqual(r.body, [{ id: '5', channel: '/meta/connect', clientId: id, successful: true, advice: { reconnect: 'retry', interval: 0, timeout: 10000 } }]);
  });

  it('refuses client publishes, on broadcast and on /service channels', async () => {
    const id = await rawHandshake(host.url, alice);
    const r = await post([
      { id: '1', channel: '/v2/me/calls', clientId: id, data: { x: 1 } },
      { id: '2', channel: '/service/echo', clientId: id, data: {} },
      { id: '3', channel: '/meta/bogus', clientId: id },
    ]);
    assert.deepEqual(r.body, [
      { id: '1', channel: '/v2/me/calls', successful: false, error: '403::publish_denied' },
      { id: '2', channel: '/service/echo', successful: false, error: '403::publish_denied' },
      { id: '3', channel: '/meta/bogus', successful: false, error: '404::unknown_meta_channel' },
    ]);
  });

  it('validates subscriptions and repeats them in the reply', async () => {
    const id = await rawHandshake(host.url, alice);
    const r = await post([
      subscribe(id, '1', '/v2/me/*'),
      subscribe(id, '2', ['/v2/me/calls', '/v2/**']),
      subscribe(id, '3', '/**'),
      subscribe(id, '4', '/meta/**'),
      subscribe(id, '5', '/meta/connect'),
      subscribe(id, '6', '/a/*/b'),
      subscribe(id, '7', ['/ok', 'bad']),
      subscribe(id, '8', undefined),
      subscribe(id, '9', []),
      subscribe(id, '10', '/service/x'),
      { id: '11', channel: '/meta/unsubscribe', clientId: id, subscription: ['/v2/me/*', '/never/subscribed'] },
    ]);
    const summary = r.body.map((m: any) => [m.id, m.channel, m.successful, m.error ?? null, m.subscription ?? null]);
    assert.deepEqual(summary, [
      ['1', '/meta/subscribe', true, null, '/v2/me/*'],
      ['2', '/meta/subscribe', true, null, ['/v2/me/calls', '/v2/**']],
      ['3', '/meta/subscribe', true, null, '/**'],
      ['4', '/meta/subscribe', false, '403::subscription_invalid', '/meta/**'],
      ['5', '/meta/subscribe', false, '403::subscription_invalid', '/meta/connect'],
      ['6', '/meta/subscribe', false, '403::subscription_invalid', '/a/*/b'],
      ['7', '/meta/subscribe', false, '403::subscription_invalid', ['/ok', 'bad']],
      ['8', '/meta/subscribe', false, '403::subscription_missing', null],
      ['9', '/meta/subscribe', false, '403::subscription_missing', []],
      ['10', '/meta/subscribe', true, null, '/service/x'],
      ['11', '/meta/unsubscribe', true, null, ['/v2/me/*', '/never/subscribed']],
    ]);
  });
});

describe('bayeux over HTTP: held connects and delivery', () => {
  it('holds a connect and answers it with [events, connect reply] when the user gets a message', async () => {
    const id = await rawHandshake(host.url, alice);
    await post([subscribe(id, 's', '/v2/me/*')]);
    const held = post([connect(id, '20')]);
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === id.slice(0, 8), 3000, 'the connect to be held');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { messageType: 'CallStateChangeMessage', n: 1 });
    host.bayeux.publishToUser('alice', '/v2/me/devices', { messageType: 'DeviceStateChangeMessage', n: 2 });
    const r = await withTimeout(held, 3000, 'the held connect to be answered with the events');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      { channel: '/v2/me/calls', data: { messageType: 'CallStateChangeMessage', n: 1 } },
      { channel: '/v2/me/devices', data: { messageType: 'DeviceStateChangeMessage', n: 2 } },
      { id: '20', channel: '/meta/connect', clientId: id, successful: true, advice: { reconnect: 'retry', interval: 0, timeout: 10000 } },
    ]);
  });

  it('answers queued messages on the next connect at once', async () => {
    const id = await rawHandshake(host.url, alice);
    await post([subscribe(id, 's', '/v2/me/calls')]);
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
    const r = await withTimeout(post([connect(id, '21')]), 3000, 'the connect to return the queued event at once');
    assert.deepEqual(r.body.slice(0, -1), [{ channel: '/v2/me/calls', data: { n: 1 } }]);
  });

  it('holds a whole batch with its connect and answers deliveries, then the other replies, then the connect reply', async () => {
    const id = await rawHandshake(host.url, alice);
    const held = post([connect(id, '30'), subscribe(id, '31', '/v2/me/*')]);
    await subscribed(id, 'the batched subscribe to be processed');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 3 });
    const r = await withTimeout(held, 3000, 'the held batch');
    assert.deepEqual(r.body.map((m: any) => m.id ?? m.channel), ['/v2/me/calls', '31', '30']);
    assert.equal(r.body[1].successful, true);
  });

  it('never makes another request of the same client wait for the held connect', async () => {
    const id = await rawHandshake(host.url, alice);
    let heldDone = false;
    const held = post([connect(id, '40')]).then((r) => {
      heldDone = true;
      return r;
    });
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === id.slice(0, 8), 3000, 'the connect to be held');
    const r = await withTimeout(post([subscribe(id, '41', '/v2/me/*')]), 3000, 'the subscribe reply while a connect is held');
    assert.equal(r.body[0].successful, true);
    assert.equal(heldDone, false, 'the connect is still held');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 4 });
    assert.equal((await held).body.length, 2);
  });

  it('completes an older connect when a newer one arrives', async () => {
    const id = await rawHandshake(host.url, alice);
    await post([subscribe(id, 's', '/v2/me/*')]);
    const first = post([connect(id, '50')]);
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === id.slice(0, 8), 3000, 'the first connect to be held');
    const second = post([connect(id, '51')]);
    const r1 = await withTimeout(first, 3000, 'the first connect to be completed by the second');
    assert.deepEqual(r1.body.map((m: any) => [m.id, m.successful]), [['50', true]]);
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === id.slice(0, 8), 3000, 'the second connect to be held');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 5 });
    const r2 = await withTimeout(second, 3000, 'the second connect');
    assert.deepEqual(r2.body.map((m: any) => m.id ?? m.channel), ['/v2/me/calls', '51']);
  });

  it('disconnect answers the held connect (reconnect none) and removes the session', async () => {
    const id = await rawHandshake(host.url, alice);
    const before = host.bayeux.sessionCount();
    const held = post([connect(id, '60')]);
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === id.slice(0, 8), 3000, 'the connect to be held');
    const d = await post([{ id: '61', channel: '/meta/disconnect', clientId: id }]);
    assert.deepEqual(d.body, [{ id: '61', channel: '/meta/disconnect', clientId: id, successful: true }]);
    const r = await withTimeout(held, 3000, 'the held connect after disconnect');
    assert.deepEqual(r.body, [{ id: '60', channel: '/meta/connect', clientId: id, successful: true, advice: { reconnect: 'none' } }]);
    assert.equal(host.bayeux.sessionCount(), before - 1);
    const again = await post([connect(id, '62', { advice: { timeout: 0 } })]);
    assert.equal(again.body[0].error, '402::session_unknown');
  });

  it("delivers a user's message to every matching session of that user and to no one else", async () => {
    const a1 = await rawHandshake(host.url, alice);
    const a2 = await rawHandshake(host.url, alice);
    const a3 = await rawHandshake(host.url, alice);
    const b1 = await rawHandshake(host.url, bob);
    await post([subscribe(a1, 's', '/**')]);
    await post([subscribe(a2, 's', '/v2/me/calls')]);
    await post([subscribe(a3, 's', '/v2/me/devices')]);
    await post([subscribe(b1, 's', '/**')], bob);
    host.bayeux.publishToUser('bob', '/v2/me/calls', { secret: 'bob' });
    host.bayeux.publishToUser('alice', '/v2/me/calls', { for: 'alice' });
    host.bayeux.publishToUser('nobody', '/v2/me/calls', { for: 'nobody' });
    const [r1, r2, r3, rb] = await Promise.all([
      post([connect(a1, 'c', { advice: { timeout: 0 } })]),
      post([connect(a2, 'c', { advice: { timeout: 0 } })]),
      post([connect(a3, 'c', { advice: { timeout: 0 } })]),
      post([connect(b1, 'c', { advice: { timeout: 0 } })], bob),
    ]);
    assert.deepEqual(r1.body.slice(0, -1), [{ channel: '/v2/me/calls', data: { for: 'alice' } }]);
    assert.deepEqual(r2.body.slice(0, -1), [{ channel: '/v2/me/calls', data: { for: 'alice' } }]);
    assert.deepEqual(r3.body.slice(0, -1), [], 'not subscribed to /v2/me/calls');
    assert.deepEqual(rb.body.slice(0, -1), [{ channel: '/v2/me/calls', data: { secret: 'bob' } }]);
    for (const r of [r1, r2, rb]) assert.equal(r.body[0].clientId, undefined, 'deliveries carry no clientId');
  });

  it('does not record /service subscriptions, and unsubscribe stops delivery', async () => {
    const id = await rawHandshake(host.url, alice);
    await post([subscribe(id, 's1', '/service/x'), subscribe(id, 's2', '/v2/me/*'), subscribe(id, 's3', '/v2/me/calls')]);
    await post([{ id: 'u', channel: '/meta/unsubscribe', clientId: id, subscription: '/v2/me/*' }]);
    host.bayeux.publishToUser('alice', '/service/x', { n: 'service' });
    host.bayeux.publishToUser('alice', '/v2/me/devices', { n: 'devices' });
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 'calls' });
    const r = await post([connect(id, 'c', { advice: { timeout: 0 } })]);
    assert.deepEqual(r.body.slice(0, -1), [{ channel: '/v2/me/calls', data: { n: 'calls' } }]);
  });
});
