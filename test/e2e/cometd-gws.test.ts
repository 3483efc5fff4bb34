/**
 * CometD through the real app with the official client: a handshake with Basic credentials before
 * any REST call (as the C# SDK does), the deep wildcard, per-user delivery, and no event lost
 * between subscribing and the first GET. Every handshake reply names the start of the server's
 * call state (ext.switchStart): the same for every handshake of one start, another after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from '../helpers/e2e.js';
import { connectClient, rawPost } from '../helpers/cometd-client.js';

/** the ext.switchStart of a successful handshake of `user` */
async function switchStartOf(e: E2E, user: string): Promise<unknown> {
  const headers = { Authorization: 'Basic ' + Buffer.from(`${user}:demo`).toString('base64') };
  const hs = await rawPost(e.baseUrl + '/api/v2/notifications/handshake', [{ id: 'h', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }], headers);
  assert.equal(hs.body[0].successful, true, JSON.stringify(hs.body));
  return hs.body[0].ext?.switchStart;
}

test('every handshake names the start of the call state: the same within one start, another after a restart', async () => {
  const first = await E2E.start();
  let started: unknown;
  try {
    started = await switchStartOf(first, 'agent1');
    assert.equal(typeof started, 'string');
    assert.equal(await switchStartOf(first, 'agent2'), started, 'every user of one start is told the same');
    assert.equal(await switchStartOf(first, 'agent1'), started, 'a second handshake of one start is told the same');
  } finally {
    await first.close();
  }
  const restarted = await E2E.start();
  try {
    const again = await switchStartOf(restarted, 'agent1');
    assert.equal(typeof again, 'string');
    assert.notEqual(again, started, 'a new start of a single server: its calls and voice sessions ended with the last one');
  } finally {
    await restarted.close();
  }
});

for (const transport of ['long-polling', 'websocket'] as const) {
  test(`handshake with Basic before any REST call, subscribe /**, per-user delivery (${transport})`, async () => {
    const e = await E2E.start({ transport });
    const basic = (u: string) => ({ Authorization: 'Basic ' + Buffer.from(`${u}:demo`).toString('base64') });
    const url = e.baseUrl + '/api/v2/notifications';
    const c3 = await connectClient({ url, transport, headers: basic('agent3'), name: 'agent3' });
    const c4 = await connectClient({ url, transport, headers: basic('agent4'), name: 'agent4' });
    try {
      await c3.subscribe('/**');
      await c4.subscribe('/v2/me/*');
      // subscribed, no GET yet: the session start must not be lost
      const r = await e.fetchJson('POST', '/api/v2/me', basic('agent3').Authorization, { operationName: 'StartContactCenterSession', channels: ['voice'] });
      assert.equal(r.json.statusCode, 0);
      const dev = await c3.events.next((d) => d.channel === '/v2/me/devices', 5000, 'agent3 device event');
      assert.equal(dev.data.devices[0].phoneNumber, '5003');
      assert.equal(dev.data.devices[0].deviceState, 'Active');
      await c3.events.next((d) => d.channel === '/v2/me/channels' && d.data.messageType === 'ChannelStateChangeMessageV2', 5000, 'agent3 channel event');
      // agent4 gets its own session's events and never agent3's
      const r4 = await e.fetchJson('POST', '/api/v2/me', basic('agent4').Authorization, { operationName: 'StartContactCenterSession', channels: ['voice'] });
      assert.equal(r4.json.statusCode, 0);
      await c4.events.next((d) => d.channel === '/v2/me/devices' && d.data.devices[0].phoneNumber === '5004', 5000, 'agent4 device event');
      assert.ok(c4.events.items.every((d) => d.data.devices?.[0]?.phoneNumber !== '5003' && d.data.phoneNumber !== '5003'), 'agent4 received an event of agent3');
      assert.ok(c3.events.items.every((d) => d.data.devices?.[0]?.phoneNumber !== '5004'), 'agent3 received an event of agent4');
    } finally {
      await c3.disconnect();
      await c4.disconnect();
      await e.close();
    }
  });
}

test('a handshake with bad credentials is refused without retry advice', async () => {
  const e = await E2E.start();
  try {
    await assert.rejects(
      connectClient({ url: e.baseUrl + '/api/v2/notifications', transport: 'long-polling', headers: { Authorization: 'Basic ' + Buffer.from('agent1:nope').toString('base64') }, connectTimeoutMs: 3000 }),
      /handshake/i,
    );
  } finally {
    await e.close();
  }
});

test('a Basic handshake hands out the session cookie; later CometD requests may carry the cookie alone', async () => {
  const e = await E2E.start();
  try {
    const url = e.baseUrl + '/api/v2/notifications';
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const hs = await post('/handshake', { Authorization: 'Basic ' + Buffer.from('agent5:demo').toString('base64') }, [
      { id: '1', channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
    ]);
    const setCookie = hs.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^JSESSIONID=[^;]+/);
    assert.ok(hs.headers.get('x-csrf-token'));
    const [reply] = (await hs.json()) as { clientId: string; successful: boolean }[];
    assert.equal(reply.successful, true);
    const cookie = { Cookie: setCookie.split(';')[0] };
    const sub = (await (await post('/', cookie, [{ id: '2', channel: '/meta/subscribe', clientId: reply.clientId, subscription: '/v2/me/*' }])).json()) as { successful: boolean }[];
    assert.equal(sub[0].successful, true, JSON.stringify(sub));
    const con = (await (await post('/connect', cookie, [{ id: '3', channel: '/meta/connect', clientId: reply.clientId, connectionType: 'long-polling', advice: { timeout: 0 } }])).json()) as { successful: boolean }[];
    assert.equal(con[0].successful, true, JSON.stringify(con));
  } finally {
    await e.close();
  }
});
