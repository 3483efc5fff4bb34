/**
 * The Bayeux presence hook (BayeuxOptions.presence): told once when a user's first session opens and
 * once when their last one ends (disconnect, expiry, disconnectUser), never for the sessions between.
 * A cluster node subscribes to a user's notifications only while the hook says the user is present.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';

describe('bayeux presence hook', () => {
  it('reports a user present at the first handshake and absent when the last session ends', async () => {
    const seen: string[] = [];
    const host = await startBayeuxHost({ presence: (user, present) => seen.push(`${user}:${present ? 'in' : 'out'}`) });
    try {
      const alice = { 'x-user': 'alice' };
      const first = await rawHandshake(host.url, alice);
      const second = await rawHandshake(host.url, alice);
      await rawHandshake(host.url, { 'x-user': 'bob' });
      assert.deepEqual(seen, ['alice:in', 'bob:in']);
      await rawPost(host.url, [{ channel: '/meta/disconnect', clientId: first }], alice);
      assert.deepEqual(seen, ['alice:in', 'bob:in'], 'alice still holds a session');
      await rawPost(host.url, [{ channel: '/meta/disconnect', clientId: second }], alice);
      assert.deepEqual(seen, ['alice:in', 'bob:in', 'alice:out']);
      host.bayeux.disconnectUser('bob');
      assert.deepEqual(seen, ['alice:in', 'bob:in', 'alice:out', 'bob:out']);
    } finally {
      await host.close();
    }
  });

  it('survives a hook that throws', async () => {
    const host = await startBayeuxHost({
      presence: () => {
        throw new Error('broken hook');
      },
    });
    try {
      const id = await rawHandshake(host.url, { 'x-user': 'alice' });
      assert.equal(typeof id, 'string');
      assert.equal(host.bayeux.sessionCount(), 1);
    } finally {
      await host.close();
    }
  });
});
