/**
 * Issue 7, parts 2, 4 and 7 (Bayeux side): session and subscription caps, disconnectUser ending
 * long-poll and websocket sessions at once, and refused websocket upgrades answered with a JSON
 * envelope (or the host's own renderer).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type BayeuxHost, RawWebSocket, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';
import { withTimeout } from '../helpers/wait.js';

const alice = { 'x-user': 'alice' };
const bob = { 'x-user': 'bob' };
const handshake = (id: string, types = ['long-polling', 'websocket']) => ({ id, channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: types });
const connect = (clientId: string, id: string, connectionType = 'long-polling', extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType, ...extra });

async function withHost(opts: Parameters<typeof startBayeuxHost>[0], body: (host: BayeuxHost) => Promise<void>): Promise<void> {
  const host = await startBayeuxHost(opts);
  try {
    await body(host);
  } finally {
    await host.close();
  }
}

describe('bayeux session and subscription caps', () => {
  it('refuses a handshake beyond maxSessionsPerUser for good, and only for that user', () =>
    withHost({ maxSessionsPerUser: 3 }, async (host) => {
      const ids = [await rawHandshake(host.url, alice), await rawHandshake(host.url, alice), await rawHandshake(host.url, alice)];
      const r = await rawPost(host.url + '/handshake', [handshake('h4')], alice);
      assert.equal(r.body[0].successful, false);
      assert.deepEqual(r.body[0].advice, { reconnect: 'none' });
      assert.equal(r.body[0].error, '403::session limit reached: this user already holds 3 CometD sessions; disconnect unused clients, then handshake again');
      assert.equal(typeof (await rawHandshake(host.url, bob)), 'string', 'another user is not affected');
      await rawPost(host.url, [{ id: 'd', channel: '/meta/disconnect', clientId: ids[0] }], alice);
      assert.equal(typeof (await rawHandshake(host.url, alice)), 'string', 'a freed slot can be used again');
    }));

  it('refuses a handshake beyond maxSessionsPerWebSocket on that socket only', () =>
    withHost({ maxSessionsPerWebSocket: 2 }, async (host) => {
      const ws = await RawWebSocket.open(host.url, alice);
      try {
        for (const id of ['h1', 'h2']) {
          ws.send([handshake(id, ['websocket'])]);
          assert.equal((await ws.reply(id)).successful, true);
        }
        ws.send([handshake('h3', ['websocket'])]);
        const refused = await ws.reply('h3');
        assert.equal(refused.successful, false);
        assert.deepEqual(refused.advice, { reconnect: 'none' });
        assert.match(refused.error, /^403::session limit reached: this websocket already carries 2 CometD sessions/);
        const other = await RawWebSocket.open(host.url, alice);
        other.send([handshake('h', ['websocket'])]);
        assert.equal((await other.reply('h')).successful, true, 'another socket of the same user may handshake');
        await other.close();
      } finally {
        await ws.close();
      }
    }));

  it('refuses a subscribe that would pass maxSubscriptionsPerSession, counting only new, recorded channels', () =>
    withHost({ maxSubscriptionsPerSession: 3 }, async (host) => {
      const id = await rawHandshake(host.url, alice);
      const sub = (msgId: string, subscription: unknown) => ({ id: msgId, channel: '/meta/subscribe', clientId: id, subscription });
      const r = await rawPost(host.url, [
        sub('1', ['/a', '/b']),
        sub('2', ['/a', '/b', '/c']),
        sub('3', '/service/x'),
        sub('4', '/d'),
        { id: '5', channel: '/meta/unsubscribe', clientId: id, subscription: '/a' },
        sub('6', '/d'),
      ], alice);
      assert.deepEqual(r.body.map((m: any) => [m.id, m.successful]), [['1', true], ['2', true], ['3', true], ['4', false], ['5', true], ['6', true]]);
      assert.equal(r.body[3].error, '403::subscription limit reached: a session may hold 3 subscriptions; unsubscribe from some channels first');
      assert.equal(r.body[3].subscription, '/d', 'the subscription is repeated');
    }));
});

describe('bayeux disconnectUser', () => {
  it('ends long-poll and websocket sessions of the user at once; deliveries stop; other users untouched', () =>
    withHost({ timeoutMs: 10000 }, async (host) => {
      const lp = await rawHandshake(host.url, alice);
      await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: lp, subscription: '/**' }], alice);
      const heldLp = rawPost(host.url + '/connect', [connect(lp, 'lp')], alice);
      await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === lp.slice(0, 8), 3000, 'the long-poll held');

      const ws = await RawWebSocket.open(host.url, alice);
      ws.send([handshake('h', ['websocket'])]);
      const wsId = (await ws.reply('h')).clientId;
      ws.send([{ id: 's', channel: '/meta/subscribe', clientId: wsId, subscription: '/**' }, connect(wsId, 'wc', 'websocket')]);
      await ws.reply('s');
      await host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === wsId.slice(0, 8), 3000, 'the websocket connect held');

      const bobId = await rawHandshake(host.url, bob);
      host.bayeux.disconnectUser('alice');

      const goneLp = await withTimeout(heldLp, 3000, 'the held long-poll answered at once');
      assert.deepEqual(goneLp.body, [{ id: 'lp', channel: '/meta/connect', successful: false, error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } }]);
      const goneWs = await ws.reply('wc');
      assert.deepEqual(goneWs, { id: 'wc', channel: '/meta/connect', successful: false, error: '402::session_unknown', advice: { reconnect: 'handshake', interval: 0 } });
      assert.deepEqual(await ws.messages.next((m) => m.closed !== undefined, 3000, 'the socket closed'), { closed: 1008 });
      assert.equal(host.bayeux.sessionCount(), 1, "only bob's session is left");

      const seen = ws.messages.items.length;
      host.bayeux.publishToUser('alice', '/v2/me/calls', { after: 'logout' });
      const late = await rawPost(host.url, [connect(lp, 'again', 'long-polling', { advice: { timeout: 0 } })], alice);
      assert.equal(late.body[0].error, '402::session_unknown', 'the long-poll session is gone');
      assert.equal(ws.messages.items.length, seen, 'nothing more reached the websocket');
      const b = await rawPost(host.url, [connect(bobId, 'b', 'long-polling', { advice: { timeout: 0 } })], bob);
      assert.equal(b.body[0].successful, true);
    }));
});

/** Send a websocket upgrade request and read the refusal. */
function upgradeRefusal(url: string, headers: Record<string, string>): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

describe('bayeux websocket upgrade refusals', () => {
  it('answers every refusal with Content-Type application/json and a statusCode envelope', () =>
    withHost({}, async (host) => {
      const cases: ReadonlyArray<[string, Record<string, string>, number, string]> = [
        ['not authenticated', {}, 401, 'not authenticated'],
        ['bad key', { ...alice, 'Sec-WebSocket-Key': 'short' }, 400, 'missing or invalid Sec-WebSocket-Key'],
        ['bad version', { ...alice, 'Sec-WebSocket-Version': '7' }, 426, 'Sec-WebSocket-Version must be 13'],
        ['bad protocol', { ...alice, 'Sec-WebSocket-Protocol': 'a b,,' }, 400, 'invalid Sec-WebSocket-Protocol'],
      ];
      for (const [name, headers, status, message] of cases) {
        const r = await upgradeRefusal(host.url, headers);
        assert.deepEqual([name, r.status, r.contentType, JSON.parse(r.body)], [name, status, 'application/json', { statusCode: status, statusMessage: message }]);
      }
      await host.bayeux.close();
      const closing = await upgradeRefusal(host.url, alice);
      assert.deepEqual([closing.status, closing.contentType, JSON.parse(closing.body)], [503, 'application/json', { statusCode: 503, statusMessage: 'the server is shutting down' }]);
    }));

  it("uses the host's renderRefusal, and falls back to JSON when it throws", async () => {
    await withHost({ renderRefusal: (status, message) => ({ contentType: 'application/json', body: JSON.stringify({ statusCode: status === 401 ? 2 : 1, statusMessage: `GWS: ${message}` }) }) }, async (host) => {
      const r = await upgradeRefusal(host.url, {});
      assert.deepEqual([r.status, r.contentType, JSON.parse(r.body)], [401, 'application/json', { statusCode: 2, statusMessage: 'GWS: not authenticated' }]);
    });
    await withHost({ renderRefusal: () => { throw new Error('renderer is broken'); } }, async (host) => {
      const r = await upgradeRefusal(host.url, {});
      assert.deepEqual([r.status, r.contentType, JSON.parse(r.body)], [401, 'application/json', { statusCode: 401, statusMessage: 'not authenticated' }]);
    });
  });
});
