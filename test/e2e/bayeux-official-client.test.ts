/**
 * End to end with the official CometD JavaScript client (cometd + cometd-nodejs-client), over
 * long-polling and over websocket: handshake, subscribe /v2/me/* and /**, server publishToUser,
 * per-user isolation between clients of different users in one process (Basic and cookie
 * credentials), unsubscribe, disconnect, recovery after a server restart on the same port, and
 * refusal once a user's credentials are gone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type BayeuxHost,
  type TransportName,
  basicAuth,
  connectClient,
  disconnectAllClients,
  startBayeuxHost,
} from '../helpers/cometd-client.js';
import { waitFor } from '../helpers/wait.js';

for (const transport of ['long-polling', 'websocket'] as TransportName[]) {
  describe(`official CometD client over ${transport}`, () => {
    let host: BayeuxHost;
    before(async () => {
      host = await startBayeuxHost({ timeoutMs: 2000, maxIntervalMs: 3000 });
    });
    after(async () => {
      await disconnectAllClients();
      await host.close();
    });

    it('handshakes and connects over the chosen transport', async () => {
      const c = await connectClient({ url: host.url, transport, headers: basicAuth('alice') });
      assert.equal(c.transportType(), transport);
      assert.match(c.clientId() ?? '', /^[0-9a-zA-Z]{32,}$/);
      assert.equal(host.bayeux.sessionCount(), 1);
      await c.disconnect();
      assert.equal(host.bayeux.sessionCount(), 0, 'disconnect removed the session');
    });

    it('rejects loudly when the server refuses the handshake', async () => {
      await assert.rejects(
        connectClient({ url: host.url, transport, headers: basicAuth('alice', 'wrong'), connectTimeoutMs: 3000 }),
        /handshake failed|not connected/,
      );
    });

    it('delivers each user only their own events, on /v2/me/* and /**', async () => {
      const alice = await connectClient({ url: host.url, transport, headers: basicAuth('alice'), name: 'alice' });
      const bob = await connectClient({ url: host.url, transport, headers: host.login('bob'), name: 'bob' });
      const ack = await alice.subscribe('/v2/me/*');
      assert.deepEqual(ack.subscription, '/v2/me/*');
      await bob.subscribe('/**');

      host.bayeux.publishToUser('bob', '/v2/me/calls', { messageType: 'CallStateChangeMessage', owner: 'bob' });
      host.bayeux.publishToUser('alice', '/v2/me/calls', { messageType: 'CallStateChangeMessage', owner: 'alice' });
      host.bayeux.publishToUser('alice', '/v2/me/workbins/wb1', { owner: 'alice', deep: true });
      host.bayeux.publishToUser('bob', '/v2/me/workbins/wb1', { owner: 'bob', deep: true });
      host.bayeux.publishToUser('alice', '/v2/me/devices', { owner: 'alice', sentinel: true });
      host.bayeux.publishToUser('bob', '/v2/me/devices', { owner: 'bob', sentinel: true });

      const a1 = await alice.events.next((e) => e.channel === '/v2/me/calls', 3000, "alice's call event");
      assert.deepEqual(a1.data, { messageType: 'CallStateChangeMessage', owner: 'alice' });
      await alice.events.next((e) => e.data?.sentinel === true, 3000, "alice's sentinel");
      await bob.events.next((e) => e.data?.sentinel === true, 3000, "bob's sentinel");

      assert.deepEqual(alice.events.items.map((e) => [e.channel, e.data.owner]), [
        ['/v2/me/calls', 'alice'],
        ['/v2/me/devices', 'alice'],
      ], '/v2/me/* is one level deep, and nothing of bob');
      assert.deepEqual(bob.events.items.map((e) => [e.channel, e.data.owner]), [
        ['/v2/me/calls', 'bob'],
        ['/v2/me/workbins/wb1', 'bob'],
        ['/v2/me/devices', 'bob'],
      ], '/** reaches every depth, and nothing of alice');
      await alice.disconnect();
      await bob.disconnect();
    });

    it('stops delivering after unsubscribe', async () => {
      const c = await connectClient({ url: host.url, transport, headers: basicAuth('carol') });
      await c.subscribe('/v2/me/*');
      await c.subscribe('/v2/me/devices');
      const un = await c.unsubscribe('/v2/me/*');
      assert.equal(un.subscription, '/v2/me/*');
      host.bayeux.publishToUser('carol', '/v2/me/calls', { n: 1 });
      host.bayeux.publishToUser('carol', '/v2/me/devices', { n: 2 });
      await c.events.next((e) => e.channel === '/v2/me/devices', 3000, 'the devices event');
      assert.deepEqual(c.events.items, [{ channel: '/v2/me/devices', data: { n: 2 } }]);
      await c.disconnect();
    });

    it('recovers after the server restarts on the same port: re-handshake, resubscribe, receive', async () => {
      const c = await connectClient({ url: host.url, transport, headers: basicAuth('dave'), backoffIncrement: 100, maxBackoff: 500 });
      await c.subscribe('/v2/me/*');
      host.bayeux.publishToUser('dave', '/v2/me/calls', { before: true });
      await c.events.next((e) => e.data?.before === true, 3000, 'an event before the restart');

      c.meta.drain();
      // keep the server down until the client has noticed (a failed connect or handshake)
      await host.restart(() => c.meta.next((m) => m.successful === false, 5000, 'a failure while the server is down'));
      assert.equal(host.bayeux.sessionCount(), 0, 'a fresh server knows no session');
      const hs = await c.meta.next((m) => m.channel === '/meta/handshake' && m.successful === true, 10000, 'a successful re-handshake');
      assert.equal(hs.reestablish, true);
      await c.meta.next((m) => m.channel === '/meta/subscribe' && m.successful === true, 5000, 'the resubscription');
      host.bayeux.publishToUser('dave', '/v2/me/calls', { after: true });
      await c.events.next((e) => e.data?.after === true, 5000, 'an event after the restart');
      assert.equal(c.transportType(), transport);
      await c.disconnect();
    });

    it('sends a user away for good once disconnectUser ran and the credentials are gone', async () => {
      const gone = await connectClient({ url: host.url, transport, headers: basicAuth('erin'), backoffIncrement: 100, maxBackoff: 500 });
      const stays = await connectClient({ url: host.url, transport, headers: basicAuth('frank') });
      await stays.subscribe('/v2/me/*');
      gone.meta.drain();
      host.revoke('erin');
      host.bayeux.disconnectUser('erin');
      await gone.meta.next((m) => m.channel === '/meta/handshake' && m.successful === false, 5000, 'a refused re-handshake');
      if (transport === 'long-polling') {
        const refusal = gone.meta.filter((m) => m.channel === '/meta/handshake' && m.successful === false)[0];
        assert.equal(refusal.error, '403::handshake_denied');
        await waitFor(() => gone.cometd.isDisconnected(), { on: gone.meta, what: 'the refused client to give up', timeoutMs: 3000 });
      }
      assert.equal(host.bayeux.sessionCount(), 1, 'only frank is left');
      host.bayeux.publishToUser('frank', '/v2/me/calls', { ok: true });
      await stays.events.next((e) => e.data?.ok === true, 3000, "frank's event");
      await gone.disconnect();
      await stays.disconnect();
    });
  });
}
