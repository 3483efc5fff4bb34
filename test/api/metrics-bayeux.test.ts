/**
 * The Bayeux metrics hook (BayeuxOptions.metrics, plain callbacks): messages queued per matching
 * session, messages lost with a session dropped at its queue cap (reason queue_full), sessions by
 * transport, serving() until close; a hook that throws never breaks delivery.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BayeuxHost, rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';

const alice = { 'x-user': 'alice' };

async function subscribedSession(host: BayeuxHost): Promise<string> {
  const id = await rawHandshake(host.url, alice);
  await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: '/**' }], alice);
  return id;
}

test('queued and dropped counts reach the hook; sessions are counted by transport', async () => {
  const queued: number[] = [];
  const dropped: [string, number][] = [];
  const host = await startBayeuxHost({ maxQueue: 3, metrics: { queued: (n) => queued.push(n), dropped: (reason, n) => dropped.push([reason, n]) } });
  try {
    const id = await subscribedSession(host);
    assert.deepEqual(host.bayeux.sessionsByTransport(), { 'long-polling': 1, websocket: 0 });
    for (let n = 1; n <= 3; n++) host.bayeux.publishToUser('alice', '/v2/me/calls', { n });
    host.bayeux.publishToUser('nobody', '/v2/me/calls', {});
    assert.deepEqual(queued, [1, 1, 1], 'one per matching session; nothing for a user without sessions');
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 4 });
    await host.logs.next((l) => l.msg === 'bayeux session removed' && l.session === id.slice(0, 8), 3000, 'the overflowing session removed');
    assert.deepEqual(dropped, [['queue_full', 4]], 'the four queued messages are lost with it');
    assert.deepEqual(host.bayeux.sessionsByTransport(), { 'long-polling': 0, websocket: 0 });
    assert.equal(host.bayeux.serving(), true);
  } finally {
    await host.close();
  }
  assert.equal(host.bayeux.serving(), false, 'not serving once closed');
});

test('a hook that throws is ignored: the message is still delivered', async () => {
  const host = await startBayeuxHost({ metrics: { queued: () => { throw new Error('counter broke'); } } });
  try {
    const id = await subscribedSession(host);
    host.bayeux.publishToUser('alice', '/v2/me/calls', { n: 1 });
    const r = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: id, connectionType: 'long-polling', advice: { timeout: 0 } }], alice);
    assert.ok((r.body as { channel: string; data?: { n: number } }[]).some((m) => m.channel === '/v2/me/calls' && m.data?.n === 1), JSON.stringify(r.body));
  } finally {
    await host.close();
  }
});
