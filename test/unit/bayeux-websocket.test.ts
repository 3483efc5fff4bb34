/**
 * The Bayeux server's websocket transport through a bare `ws` client: upgrade authentication,
 * handshake over the socket, immediate replies next to a held connect, pushed deliveries (ASCII and
 * non-ASCII: the two forms a frame is written in), per-user isolation, bad frames, disconnectUser,
 * close() and expiry after the socket is gone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BayeuxHost, RawWebSocket, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';

const alice = { 'x-user': 'alice' };
const bob = { 'x-user': 'bob' };

const handshake = (id: string) => ({ id, channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket', 'long-polling'] });
const connect = (clientId: string, id: string, extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType: 'websocket', ...extra });

async function wsSession(host: BayeuxHost, headers: Record<string, string>): Promise<{ ws: RawWebSocket; clientId: string }> {
  const ws = await RawWebSocket.open(host.url, headers);
  ws.send([handshake('h')]);
  const hs = await ws.reply('h');
  assert.equal(hs.successful, true, JSON.stringify(hs));
  ws.send([connect(hs.clientId, 'c0', { advice: { timeout: 0 } })]);
  assert.equal((await ws.reply('c0')).successful, true);
  return { ws, clientId: hs.clientId };
}

describe('bayeux over websocket', () => {
  let host: BayeuxHost;
  const sockets: RawWebSocket[] = [];
  before(async () => {
    host = await startBayeuxHost({ timeoutMs: 400, maxIntervalMs: 10000 });
  });
  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await host.close();
  });
  const open = async (headers: Record<string, string>) => {
    const s = await wsSession(host, headers);
    sockets.push(s.ws);
    return s;
  };

  it('refuses an unauthenticated upgrade with HTTP 401', async () => {
    await assert.rejects(RawWebSocket.open(host.url, {}), (err: { status?: number }) => err.status === 401);
    await assert.rejects(RawWebSocket.open(host.url, { 'x-user': '' }), (err: { status?: number }) => err.status === 401);
  });

  it('handshakes over the socket, on the mount point and on a meta sub-path', async () => {
    for (const path of ['', '/handshake']) {
      const ws = await RawWebSocket.open(host.url + path, alice);
      sockets.push(ws);
      ws.send([handshake('1')]);
      const m = await ws.reply('1');
      assert.equal(m.successful, true);
      assert.deepEqual(m.supportedConnectionTypes, ['long-polling', 'websocket']);
      assert.match(m.clientId, /^[0-9a-zA-Z]{32,}$/);
    }
  });

  it('answers other messages at once, holds the connect, and pushes deliveries meanwhile', async () => {
    const { ws, clientId } = await open(alice);
    ws.send([
      { id: 's', channel: '/meta/subscribe', clientId, subscription: '/v2/me/*' },
      connect(clientId, 'c1'),
    ]);
    const sub = await ws.reply('s');
    assert.equal(sub.successful, true);
    assert.equal(sub.subscription, '/v2/me/*');
    await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === clientId.slice(0, 8), 3000, 'the ws connect to be held');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
    host.bayeux.publishToUser('alice', '/v2/me/devices', { n: 2 });
    const ev = await ws.messages.next((m) => m.channel === '/v2/me/calls', 3000, 'the pushed delivery');
    assert.deepEqual(ev, { channel: '/v2/me/calls', data: { n: 1 } });
    assert.equal(ws.messages.filter((m) => m.id === 'c1').length, 0, 'the connect is still held');
    const frame = ws.frames.find((f) => f.some((m) => m.channel === '/v2/me/calls'));
    assert.deepEqual(frame, [{ channel: '/v2/me/calls', data: { n: 1 } }, { channel: '/v2/me/devices', data: { n: 2 } }], 'one burst, one frame');
    const reply = await ws.reply('c1');
    assert.deepEqual(reply, { id: 'c1', channel: '/meta/connect', clientId, successful: true, advice: { reconnect: 'retry', interval: 0, timeout: 400 } });
  });

  it('pushes ASCII and non-ASCII deliveries intact, each burst as one frame', async () => {
    const { ws, clientId } = await open(alice);
    ws.send([{ id: 's', channel: '/meta/subscribe', clientId, subscription: '/v2/me/*' }]);
    assert.equal((await ws.reply('s')).successful, true);
    const bursts = [
      [{ name: 'plain ASCII' }],
      [{ name: 'Zoë Müller', city: '東京', mood: '😀' }],
      [{ name: 'ASCII first' }, { name: 'then Ångström' }],
      [{ text: 'x'.repeat(70_000) }, { text: 'é'.repeat(40_000) }],
    ];
    for (const [i, burst] of bursts.entries()) {
      for (const data of burst) host.bayeux.publishToUser('alice', '/v2/me/devices', { burst: i, ...data });
      const expected = burst.map((data) => ({ channel: '/v2/me/devices', data: { burst: i, ...data } }));
      const first = await ws.messages.next((m) => m.channel === '/v2/me/devices' && (m.data as { burst?: number }).burst === i, 3000, `burst ${i}`);
      assert.deepEqual(first, expected[0]);
      const frame = ws.frames.find((f) => f.some((m) => m.channel === '/v2/me/devices' && (m.data as { burst?: number }).burst === i));
      assert.deepEqual(frame, expected, `burst ${i} in one frame`);
    }
  });

  it('refuses publishes and keeps users apart on their sockets', async () => {
    const a = await open(alice);
    const b = await open(bob);
    b.ws.send([{ id: 'x', channel: '/meta/subscribe', clientId: a.clientId, subscription: '/**' }]);
    assert.equal((await b.ws.reply('x')).error, '402::session_unknown', "bob cannot use alice's clientId");
    a.ws.send([{ id: 'p', channel: '/v2/me/calls', clientId: a.clientId, data: {} }, { id: 's', channel: '/meta/subscribe', clientId: a.clientId, subscription: '/**' }]);
    assert.deepEqual(await a.ws.reply('p'), { id: 'p', channel: '/v2/me/calls', successful: false, error: '403::publish_denied' });
    await a.ws.reply('s');
    b.ws.send([{ id: 's', channel: '/meta/subscribe', clientId: b.clientId, subscription: '/**' }]);
    await b.ws.reply('s');
    host.bayeux.publishToUser('bob', '/v2/me/calls', { for: 'bob' });
    host.bayeux.publishToUser('alice', '/v2/me/calls', { for: 'alice' });
    assert.deepEqual((await a.ws.messages.next((m) => m.channel === '/v2/me/calls')).data, { for: 'alice' });
    assert.deepEqual((await b.ws.messages.next((m) => m.channel === '/v2/me/calls')).data, { for: 'bob' });
    assert.equal(a.ws.messages.filter((m) => m.data?.for === 'bob').length, 0);
  });

  it('carries a session handshaken over HTTP once it connects over the socket', async () => {
    const clientId = await rawHandshake(host.url, alice);
    await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId, subscription: '/v2/me/calls' }], alice);
    const ws = await RawWebSocket.open(host.url, alice);
    sockets.push(ws);
    ws.send([connect(clientId, 'c', { advice: { timeout: 0 } })]);
    assert.equal((await ws.reply('c')).successful, true);
    host.bayeux.publishToUser('alice', '/v2/me/calls', { via: 'ws' });
    assert.deepEqual((await ws.messages.next((m) => m.channel === '/v2/me/calls')).data, { via: 'ws' });
  });

  it('answers a malformed frame with an error and keeps the socket', async () => {
    const { ws, clientId } = await open(alice);
    ws.send('not json');
    assert.deepEqual(await ws.messages.next((m) => m.error !== undefined), { successful: false, error: '400::bad_message' });
    ws.send([{ nochannel: true }]);
    assert.deepEqual(await ws.messages.next((m) => m.error !== undefined), { successful: false, error: '400::bad_message' });
    ws.send([connect(clientId, 'still', { advice: { timeout: 0 } })]);
    assert.equal((await ws.reply('still')).successful, true);
  });
});

describe('bayeux websocket lifecycle', () => {
  it("disconnectUser answers the user's held connect with handshake advice and closes the user's sockets", async () => {
    const host = await startBayeuxHost({ timeoutMs: 5000 });
    try {
      const a = await wsSession(host, alice);
      const b = await wsSession(host, bob);
      a.ws.send([connect(a.clientId, 'held')]);
      await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === a.clientId.slice(0, 8), 3000, 'the connect to be held');
      host.bayeux.disconnectUser('alice');
      const r = await a.ws.reply('held');
      assert.equal(r.error, '402::session_unknown');
      assert.deepEqual(r.advice, { reconnect: 'handshake', interval: 0 });
      assert.deepEqual(await a.ws.messages.next((m) => m.closed !== undefined), { closed: 1008 });
      assert.equal(b.ws.closeCode, null, "bob's socket stays open");
      assert.equal(host.bayeux.sessionCount(), 1);
      await b.ws.close();
    } finally {
      await host.close();
    }
  });

  it('close() answers held connects, closes sockets with 1001 and refuses new upgrades', async () => {
    const host = await startBayeuxHost({ timeoutMs: 5000 });
    const a = await wsSession(host, alice);
    a.ws.send([connect(a.clientId, 'held')]);
    await host.logs.next((l) => l.msg === 'bayeux connect held', 3000, 'the connect to be held');
    await host.bayeux.close();
    assert.equal((await a.ws.reply('held')).error, '402::session_unknown');
    assert.deepEqual(await a.ws.messages.next((m) => m.closed !== undefined), { closed: 1001 });
    await assert.rejects(RawWebSocket.open(host.url, alice), (err: { status?: number }) => err.status === 503);
    await host.close();
  });

  it('keeps a websocket session alive while it holds a connect, and expires one that stopped connecting although its socket is open', async () => {
    const host = await startBayeuxHost({ timeoutMs: 5000, maxIntervalMs: 100 });
    try {
      const active = await wsSession(host, alice);
      active.ws.send([connect(active.clientId, 'c1')]);
      await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === active.clientId.slice(0, 8), 3000, 'the active session to hold a connect');
      const silent = await wsSession(host, bob);
      await host.logs.next((l) => l.reason === 'expired' && l.session === silent.clientId.slice(0, 8), 3000, 'the silent websocket session to expire');
      assert.equal(host.bayeux.sessionCount(), 1, 'the session holding a connect outlived it');
      silent.ws.send([connect(silent.clientId, 'late', { advice: { timeout: 0 } })]);
      assert.equal((await silent.ws.reply('late')).error, '402::session_unknown', 'the silent client is sent back to handshake');
      await active.ws.close();
      await host.logs.next((l) => l.reason === 'expired' && l.session === active.clientId.slice(0, 8), 3000, 'the websocket session to expire once its socket is gone');
      assert.equal(host.bayeux.sessionCount(), 0);
      await silent.ws.close();
    } finally {
      await host.close();
    }
  });
});
