/**
 * Fan-out cost: an event published to a user with several sessions is serialised once, and the
 * same text reaches every matching session (and no other user's); hasSubscriber agrees with delivery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonTextOf, withJsonText } from '../../src/bayeux/json-text.js';
import { rawHandshake, rawPost, startBayeuxHost } from '../helpers/cometd-client.js';

/**
 * run `publish` with JSON.stringify spied on: the values it was asked to serialise, in order (strings
 * left out: quoting a channel's name, once per channel, is not a serialisation of an event)
 */
function serialisedDuring(publish: () => void): unknown[] {
  const real = JSON.stringify;
  const serialised: unknown[] = [];
  JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => {
    if (typeof args[0] !== 'string') serialised.push(args[0]);
    return real(...args);
  }) as typeof JSON.stringify;
  try {
    publish();
  } finally {
    JSON.stringify = real;
  }
  return serialised;
}

test('publishToUser serialises the event once for all of the user\'s sessions', async () => {
  const host = await startBayeuxHost({ timeoutMs: 10000, maxIntervalMs: 10000 });
  try {
    const alice = { 'x-user': 'alice' };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await rawHandshake(host.url, alice);
      const sub = await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: i % 2 ? '/v2/me/*' : '/**' }], alice);
      assert.equal(sub.body[0].successful, true);
      ids.push(id);
    }
    const bob = await rawHandshake(host.url, { 'x-user': 'bob' });
    await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: bob, subscription: '/**' }], { 'x-user': 'bob' });

    const data = { messageType: 'CallStateChangeMessage', call: { id: 'X', participants: [{ phoneNumber: '5001' }] } };
    const serialised = serialisedDuring(() => host.bayeux.publishToUser('alice', '/v2/me/calls', data));
    assert.equal(serialised.length, 1, 'one serialisation for four sessions');

    for (const id of ids) {
      const r = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: id, connectionType: 'long-polling', advice: { timeout: 0 } }], alice);
      const events = r.body.filter((m: { channel: string }) => m.channel === '/v2/me/calls');
      assert.deepEqual(events, [{ channel: '/v2/me/calls', data }], `session ${id.slice(0, 6)}`);
    }
    const b = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: bob, connectionType: 'long-polling', advice: { timeout: 0 } }], { 'x-user': 'bob' });
    assert.equal(b.body.filter((m: { channel: string }) => m.channel === '/v2/me/calls').length, 0, 'bob gets nothing of alice');
  } finally {
    await host.close();
  }
});

test('a data object carrying its own JSON text goes on the wire with that text, and is never serialised', async () => {
  const host = await startBayeuxHost({ timeoutMs: 10000, maxIntervalMs: 10000 });
  try {
    const alice = { 'x-user': 'alice' };
    const id = await rawHandshake(host.url, alice);
    await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: '/v2/me/*' }], alice);
    const data = { messageType: 'DeviceStateChangeMessage', devices: [{ id: 'd1', userState: { state: 'Ready' } }] };
    // a text that differs from the object's own JSON shows which of the two reached the wire
    withJsonText(data, JSON.stringify({ ...data, written: 'by the publisher' }));
    assert.equal(jsonTextOf(data), JSON.stringify({ ...data, written: 'by the publisher' }));
    assert.equal(JSON.stringify(data), '{"messageType":"DeviceStateChangeMessage","devices":[{"id":"d1","userState":{"state":"Ready"}}]}', 'the text is invisible to JSON');
    const serialised = serialisedDuring(() => host.bayeux.publishToUser('alice', '/v2/me/devices', data));
    assert.deepEqual(serialised, [], 'nothing but the channel name was serialised');
    const r = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: id, connectionType: 'long-polling', advice: { timeout: 0 } }], alice);
    const events = r.body.filter((m: { channel: string }) => m.channel === '/v2/me/devices');
    assert.deepEqual(events, [{ channel: '/v2/me/devices', data: { ...data, written: 'by the publisher' } }]);
  } finally {
    await host.close();
  }
});

test('one round serialises a data object once per channel, whatever the users and channels it is published to', async () => {
  const host = await startBayeuxHost({ timeoutMs: 10000, maxIntervalMs: 10000 });
  try {
    const users = ['alice', 'bob', 'carol'];
    const ids = new Map<string, string>();
    for (const user of users) {
      const id = await rawHandshake(host.url, { 'x-user': user });
      await rawPost(host.url, [{ id: 's', channel: '/meta/subscribe', clientId: id, subscription: '/**' }], { 'x-user': user });
      ids.set(user, id);
    }
    const data = { messageType: 'CallStateChangeMessage', call: { id: 'X' } };
    // the same object on three channels, to three users, in one round
    const serialised = serialisedDuring(() => {
      for (const user of users) for (const channel of ['/v2/me/calls', '/v2/me/devices', '/v2/me/calls', '/v2/me/channels']) host.bayeux.publishToUser(user, channel, data);
    });
    assert.deepEqual(serialised, [{ channel: '/v2/me/calls', data }, { channel: '/v2/me/devices', data }, { channel: '/v2/me/channels', data }], 'once per channel');
    for (const user of users) {
      const r = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: ids.get(user), connectionType: 'long-polling', advice: { timeout: 0 } }], { 'x-user': user });
      const events = r.body.filter((m: { channel: string }) => !m.channel.startsWith('/meta/'));
      assert.deepEqual(events, ['/v2/me/calls', '/v2/me/devices', '/v2/me/calls', '/v2/me/channels'].map((channel) => ({ channel, data })), user);
    }
  } finally {
    await host.close();
  }
});

test('an attached JSON text lives only until the job\'s microtasks have run, and never changes the object', async () => {
  const data = { messageType: 'DeviceStateChangeMessage', devices: [] };
  withJsonText(data, '{"messageType":"DeviceStateChangeMessage","devices":[]}');
  assert.equal(jsonTextOf(data), '{"messageType":"DeviceStateChangeMessage","devices":[]}');
  assert.deepEqual(Reflect.ownKeys(data), ['messageType', 'devices'], 'nothing was written on the object');
  await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(jsonTextOf(data), undefined, 'a later publication of the object is serialised as any other');
});

test('a job may attach any number of texts: each object keeps its own until the job ends', async () => {
  const objects = Array.from({ length: 40 }, (_, i) => ({ n: i }));
  // attached and looked up interleaved, and again all at the end, past the scanned slots
  for (const o of objects) {
    withJsonText(o, `{"n":${o.n}}`);
    assert.equal(jsonTextOf(o), `{"n":${o.n}}`);
  }
  for (const o of objects) assert.equal(jsonTextOf(o), `{"n":${o.n}}`, `object ${o.n}`);
  assert.equal(jsonTextOf({ n: 0 }), undefined, 'an equal object that was not attached has no text');
  withJsonText(objects[3], '{"n":3,"again":true}');
  assert.equal(jsonTextOf(objects[3]), '{"n":3,"again":true}', 'the latest attachment wins');
  await Promise.resolve();
  for (const o of objects) assert.equal(jsonTextOf(o), undefined, `object ${o.n} after the job`);
  withJsonText(objects[0], '{"n":0}');
  assert.equal(jsonTextOf(objects[0]), '{"n":0}', 'the next job attaches afresh');
  assert.equal(jsonTextOf(objects[20]), undefined);
});

test('hasSubscriber answers what publishToUser would do: a matching subscription of a live session of that user', async () => {
  const host = await startBayeuxHost({ timeoutMs: 10000, maxIntervalMs: 10000 });
  try {
    const alice = { 'x-user': 'alice' };
    const { bayeux } = host;
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents'), false, 'no session');
    const id = await rawHandshake(host.url, alice);
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents'), false, 'a session without subscriptions');
    const subscribe = async (subscription: string, channel = '/meta/subscribe') =>
      assert.equal((await rawPost(host.url, [{ id: 's', channel, clientId: id, subscription }], alice)).body[0].successful, true);
    await subscribe('/v2/supervision/routing-points');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents'), false, 'another channel');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/routing-points'), true, 'the channel itself');
    await subscribe('/v2/supervision/*');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents'), true, 'a wildcard');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents/deeper'), false, '* matches one segment');
    assert.equal(bayeux.hasSubscriber('bob', '/v2/supervision/agents'), false, 'another user');
    await subscribe('/v2/supervision/*', '/meta/unsubscribe');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/agents'), false, 'after unsubscribing');
    // whatever it answers, delivery agrees
    bayeux.publishToUser('alice', '/v2/supervision/agents', { n: 1 });
    bayeux.publishToUser('alice', '/v2/supervision/routing-points', { n: 2 });
    const r = await rawPost(host.url, [{ id: 'c', channel: '/meta/connect', clientId: id, connectionType: 'long-polling', advice: { timeout: 0 } }], alice);
    assert.deepEqual(r.body.filter((m: { channel: string }) => !m.channel.startsWith('/meta/')).map((m: { data: unknown }) => m.data), [{ n: 2 }]);
    // a user whose sessions are ending (logout) receives nothing more
    bayeux.disconnectUser('alice', 'afterDelivery');
    assert.equal(bayeux.hasSubscriber('alice', '/v2/supervision/routing-points'), false, 'ending');
  } finally {
    await host.close();
  }
  assert.equal(host.bayeux.hasSubscriber('alice', '/v2/supervision/routing-points'), false, 'closed');
});
