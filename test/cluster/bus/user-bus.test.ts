/**
 * The notification bus between nodes (src/cluster/bus/user-bus.ts), over the in-process transport
 * and two real Bayeux servers with the official CometD client: a notification published on one node
 * reaches the user's client on the other, in order; a node subscribes to a user only while it holds
 * one of their sessions; a disconnect published anywhere ends the user's sessions where they are.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, disconnectAllClients, startBayeuxHost, type BayeuxHost } from '../../helpers/cometd-client.js';
import { waitFor } from '../../helpers/wait.js';
import { InProcessTransport } from '../../../src/cluster/bus/transport.js';
import { UserBus, decodeUserMessage, encodeUserMessage, userSubject } from '../../../src/cluster/bus/user-bus.js';
import type { BayeuxServer } from '../../../src/bayeux/port.js';

interface Node {
  host: BayeuxHost;
  bus: UserBus;
  /** the Bayeux server the node's notifier and REST layer use (publish and disconnect go on the bus) */
  cluster: BayeuxServer;
}

const errors: string[] = [];

async function startNode(transport: InProcessTransport): Promise<Node> {
  const bus = new UserBus(transport, (err, what) => errors.push(`${what}: ${String(err)}`));
  const host = await startBayeuxHost({ presence: bus.presence });
  return { host, bus, cluster: bus.attach(host.bayeux) };
}

describe('user bus across two nodes', () => {
  after(disconnectAllClients);

  it('delivers on the node holding the session, in order, and only while a session is there', async () => {
    const transport = new InProcessTransport((err, what) => errors.push(`${what}: ${String(err)}`));
    const owner = await startNode(transport);
    const other = await startNode(transport);
    try {
      assert.deepEqual(transport.subscribedSubjects(), [], 'nobody is subscribed before a handshake');
      const client = await connectClient({ url: other.host.url, transport: 'long-polling', headers: { 'x-user': 'alice' }, name: 'alice' });
      await client.subscribe('/v2/me/*');
      assert.deepEqual(other.bus.subscribedUsers(), ['alice']);
      assert.deepEqual(owner.bus.subscribedUsers(), [], 'the owner holds no session of alice');
      for (let i = 0; i < 20; i++) owner.cluster.publishToUser('alice', '/v2/me/calls', { n: i });
      owner.cluster.publishToUser('bob', '/v2/me/calls', { n: 'not for alice' });
      await waitFor(() => client.events.items.length >= 20, { timeoutMs: 3000, what: '20 notifications for alice', on: client.events });
      assert.deepEqual(
        client.events.items.map((d) => d.data.n),
        Array.from({ length: 20 }, (_, i) => i),
      );
      await client.disconnect();
      await waitFor(() => other.bus.subscribedUsers().length === 0, { timeoutMs: 3000, what: 'the subscription dropped with the last session', on: other.host.logs });
      assert.deepEqual(transport.subscribedSubjects(), []);
    } finally {
      owner.bus.close();
      other.bus.close();
      await owner.host.close();
      await other.host.close();
    }
    assert.deepEqual(errors, []);
  });

  it('ends a user\'s sessions on the node that holds them, after what was already published', async () => {
    const transport = new InProcessTransport();
    const rest = await startNode(transport);
    const comet = await startNode(transport);
    try {
      const client = await connectClient({ url: comet.host.url, transport: 'websocket', headers: { 'x-user': 'alice' }, name: 'alice-ws' });
      await client.subscribe('/v2/me/*');
      rest.cluster.publishToUser('alice', '/v2/me/devices', { last: true });
      rest.cluster.disconnectUser('alice', 'afterDelivery');
      const last = await client.events.next(() => true, 3000, 'the notification published before the disconnect');
      assert.deepEqual(last.data, { last: true });
      await waitFor(() => comet.host.bayeux.sessionCount() === 0, { timeoutMs: 3000, what: 'alice\'s session ended', on: comet.host.logs });
      assert.deepEqual(comet.bus.subscribedUsers(), []);
    } finally {
      rest.bus.close();
      comet.bus.close();
      await rest.host.close();
      await comet.host.close();
    }
  });

  it('names each user by one subject token and refuses unknown message shapes', () => {
    assert.equal(userSubject('a.b c*'), `switchboard.user.${Buffer.from('a.b c*').toString('base64url')}`);
    assert.doesNotMatch(userSubject('x.y>z').slice('switchboard.user.'.length), /[ .*>]/);
    assert.deepEqual(decodeUserMessage(encodeUserMessage({ t: 'n', c: '/v2/me/calls', d: { a: 1 } })), { t: 'n', c: '/v2/me/calls', d: { a: 1 } });
    assert.equal(decodeUserMessage(new TextEncoder().encode('{"t":"q"}')), undefined);
  });
});
