/**
 * disconnectUser(user, 'afterDelivery'), used at logout and HTTP session expiry: what was already
 * queued for the user still reaches each of their sessions, in order and before the final
 * `402::session ended` reply (long-polling: held connect, or the next connect of a session caught
 * between two polls; websocket: one last frame, then close 1008); nothing published afterwards
 * reaches anyone; and another user is untouched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BayeuxHost, RawWebSocket, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';

const alice = { 'x-user': 'alice' };
const bob = { 'x-user': 'bob' };
const connect = (clientId: string, id: string, extra: object = {}) => ({ id, channel: '/meta/connect', clientId, connectionType: 'long-polling', ...extra });
const subscribe = (clientId: string, id: string, subscription: string) => ({ id, channel: '/meta/subscribe', clientId, subscription });

async function withHost(body: (host: BayeuxHost) => Promise<void>): Promise<void> {
  const host = await startBayeuxHost({ timeoutMs: 5000 });
  try {
    await body(host);
  } finally {
    await host.close();
  }
}

const heldConnect = (host: BayeuxHost, clientId: string, what: string) =>
  host.logs.next((l) => l.msg === 'bayeux connect held' && l.session === clientId.slice(0, 8), 3000, what);

async function subscribed(host: BayeuxHost, headers: Record<string, string>): Promise<string> {
  const clientId = await rawHandshake(host.url, headers);
  const r = await rawPost(host.url, [subscribe(clientId, 's', '/v2/me/*')], headers);
  assert.equal(r.body[0].successful, true, JSON.stringify(r.body));
  return clientId;
}

describe("bayeux disconnectUser 'afterDelivery'", () => {
  it('answers a held long-poll with the queued deliveries first, then 402 with handshake advice', () =>
    withHost(async (host) => {
      const clientId = await subscribed(host, alice);
      const answer = rawPost(host.url, [connect(clientId, 'c1')], alice);
      await heldConnect(host, clientId, 'the connect held');
      // published and ended in one tick, as EndContactCenterSession does: the flush has not run yet
      host.bayeux.publishToUser('alice', '/v2/me/devices', { n: 1 });
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
      host.bayeux.disconnectUser('alice', 'afterDelivery');
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 3 });
      const body = (await answer).body;
      assert.deepEqual(body.map((m: any) => m.data?.n ?? m.id), [1, 2, 'c1']);
      const last = body[2];
      assert.equal(last.successful, false);
      assert.match(last.error, /^402::session ended/);
      assert.equal(last.advice.reconnect, 'handshake');
      const again = await rawPost(host.url, [connect(clientId, 'c2', { advice: { timeout: 0 } })], alice);
      assert.match(again.body[0].error, /^402::/, 'the session is gone afterwards');
    }));

  it('keeps what was queued for a long-poll caught between two connects and hands it to its next connect', () =>
    withHost(async (host) => {
      const clientId = await subscribed(host, alice);
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
      host.bayeux.disconnectUser('alice', 'afterDelivery');
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
      const body = (await rawPost(host.url, [connect(clientId, 'c1')], alice)).body;
      assert.deepEqual(body.map((m: any) => m.data?.n ?? m.id), [1, 'c1']);
      assert.match(body[1].error, /^402::session ended/);
    }));

  it('still answers that next connect when it no longer authenticates (its cookie ended with the HTTP session)', () =>
    withHost(async (host) => {
      const clientId = await subscribed(host, alice);
      host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
      host.bayeux.disconnectUser('alice', 'afterDelivery');
      const body = (await rawPost(host.url, [connect(clientId, 'c1')], {})).body;
      assert.deepEqual(body.map((m: any) => m.data?.n ?? m.id), [1, 'c1']);
      assert.match(body[1].error, /^402::session ended/);
      const later = (await rawPost(host.url, [connect(clientId, 'c2')], {})).body;
      assert.deepEqual(later.map((m: any) => m.id), ['c2'], 'once ended, an unauthenticated connect finds nothing');
      assert.match(later[0].error, /^402::/);
    }));

  it('sends a websocket the queued deliveries as its last frame, then closes it with 1008', () =>
    withHost(async (host) => {
      const clientId = await subscribed(host, alice);
      const ws = await RawWebSocket.open(host.url, alice);
      try {
        ws.send([{ ...connect(clientId, 'w0', { advice: { timeout: 0 } }), connectionType: 'websocket' }]);
        await ws.reply('w0');
        ws.send([{ ...connect(clientId, 'w1'), connectionType: 'websocket' }]);
        await heldConnect(host, clientId, 'the websocket connect held');
        host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
        host.bayeux.disconnectUser('alice', 'afterDelivery');
        host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 2 });
        const closed = await ws.messages.next((m) => 'closed' in m, 3000, 'the socket closed');
        assert.equal(closed.closed, 1008);
        const seen = ws.frames.flat().filter((m: any) => m.data).map((m: any) => m.data.n);
        assert.deepEqual(seen, [1]);
      } finally {
        await ws.close();
      }
    }));

  it('leaves other users alone', () =>
    withHost(async (host) => {
      await subscribed(host, alice);
      const bobId = await subscribed(host, bob);
      host.bayeux.disconnectUser('alice', 'afterDelivery');
      host.bayeux.publishToUser('bob', '/v2/me/calls', { n: 7 });
      const body = (await rawPost(host.url, [connect(bobId, 'b1')], bob)).body;
      assert.deepEqual(body.map((m: any) => m.data?.n ?? m.id), [7, 'b1']);
      assert.equal(body[1].successful, true);
    }));
});
