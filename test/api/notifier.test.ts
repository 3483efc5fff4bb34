/**
 * Notifications as the notifier publishes them (captured at the Bayeux port, no transport):
 * DeviceStateChangeMessage and ChannelStateChangeMessageV2 for the device's user, and
 * CallStateChangeMessage with phoneNumber, extensions, digits and errors; each one equal to what
 * a GET answers at that moment, and routed to the user who has the DN.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { Api, basic } from './harness.js';

interface Published {
  user: string;
  channel: string;
  data: any;
}

let api: Api;
let published: Published[] = [];
let ids: Record<string, string> = {};

before(async () => {
  api = await Api.start();
  api.app.bayeux.publishToUser = (user, channel, data) => {
    // the notifier's channels only (the supervision extension publishes on /v2/supervision/*)
    if (channel.startsWith('/v2/me/')) published.push({ user, channel, data: JSON.parse(JSON.stringify(data)) });
  };
  for (const u of ['agent1', 'agent2', 'supervisor1']) ids[u] = (await api.get('/api/v2/me', basic(u))).json.user.id;
});
after(() => api.close());
beforeEach(() => {
  published = [];
});

test('session start: device and channel state messages for that user only', async () => {
  await api.startSession('agent1');
  assert.deepEqual(published.map((p) => [p.user, p.channel, p.data.messageType]), [
    [ids.agent1, '/v2/me/devices', 'DeviceStateChangeMessage'],
    [ids.agent1, '/v2/me/channels', 'ChannelStateChangeMessageV2'],
  ]);
  const [dev, ch] = published;
  const now = await api.deviceOf('agent1');
  assert.deepEqual(dev.data.devices, [now]);
  assert.deepEqual(ch.data.channels, [{ channel: 'voice', userState: (now as any).userState, dndState: 'Off' }]);
});

test('DND: a device message and a channel message with dndState On', async () => {
  const dev = await api.deviceOf('agent1');
  await api.ok(`/api/v2/me/devices/${dev.id}`, { operationName: 'DoNotDisturbOn' }, basic('agent1'));
  const ch = published.find((p) => p.channel === '/v2/me/channels');
  assert.equal(ch?.data.channels[0].dndState, 'On');
  assert.equal(published.find((p) => p.channel === '/v2/me/devices')?.data.devices[0].doNotDisturb, 'On');
  await api.ok(`/api/v2/me/devices/${dev.id}`, { operationName: 'DoNotDisturbOff' }, basic('agent1'));
});

test('forwarding changes only the device message (no agent-state change)', async () => {
  const dev = await api.deviceOf('agent1');
  await api.ok(`/api/v2/me/devices/${dev.id}`, { operationName: 'ForwardCallsOn', destination: '5002' }, basic('agent1'));
  assert.deepEqual(published.map((p) => p.channel), ['/v2/me/devices']);
  assert.equal(published[0].data.devices[0].forwardTo, '5002');
  await api.ok(`/api/v2/me/devices/${dev.id}`, { operationName: 'ForwardCallsOff' }, basic('agent1'));
  assert.equal(published[1].data.devices[0].forwardTo, undefined);
});

test('calls: CallStateChangeMessage with the DN, the call as GET shows it, DtmfSent digits', async () => {
  await api.ok('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic('agent1'));
  published = [];
  const { callUuid } = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '5001' }, basic('admin'));
  const ring = published.find((p) => p.channel === '/v2/me/calls');
  assert.ok(ring, JSON.stringify(published));
  assert.equal(ring.user, ids.agent1);
  assert.equal(ring.data.messageType, 'CallStateChangeMessage');
  assert.equal(ring.data.notificationType, 'StatusChange');
  assert.equal(ring.data.phoneNumber, '5001');
  assert.deepEqual(ring.data.call, (await api.get(`/api/v2/me/calls/${callUuid}`, basic('agent1'))).json.call);
  await api.ok(`/api/v2/me/calls/${callUuid}`, { operationName: 'Answer' }, basic('agent1'));
  published = [];
  await api.ok(`/api/v2/me/calls/${callUuid}`, { operationName: 'SendDtmf', digits: '42' }, basic('agent1'));
  const dtmf = published.find((p) => p.data.notificationType === 'DtmfSent');
  assert.equal(dtmf?.data.digits, '42');
  published = [];
  await api.ok(`/api/v2/me/calls/${callUuid}`, { operationName: 'UpdateUserData', userData: { k: 'v' } }, basic('agent1'));
  assert.equal(published.find((p) => p.channel === '/v2/me/calls')?.data.notificationType, 'AttachedDataChanged');
  published = [];
  await api.ok(`/api/v2/me/calls/${callUuid}`, { operationName: 'Hangup' }, basic('agent1'));
  const released = published.find((p) => p.data.call?.state === 'Released');
  assert.ok(released);
  assert.deepEqual(released.data.call.capabilities, []);
  // the released call is gone from GET
  assert.deepEqual((await api.get('/api/v2/me/calls', basic('agent1'))).json.uris, []);
});

test('an accepted request that fails later: notificationType Error with errorCode and errorMessage', async () => {
  const dev = await api.deviceOf('agent2');
  await api.startSession('agent2');
  published = [];
  await api.ok(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'Dial', destination: { phoneNumber: '4999' } }, basic('agent2'));
  const err = published.find((p) => p.data.notificationType === 'Error');
  assert.ok(err, JSON.stringify(published.map((p) => p.data.notificationType)));
  assert.equal(err.user, ids.agent2);
  assert.equal(typeof err.data.errorCode, 'number');
  assert.match(err.data.errorMessage, /4999/);
});

test('supervisors get supervisorMonitoringState; agents never see supervisor capabilities', async () => {
  await api.startSession('supervisor1');
  const sdev = await api.deviceOf('supervisor1');
  published = [];
  await api.ok(`/api/v2/me/devices/${sdev.id}`, { operationName: 'Coach', phoneNumber: '5001' }, basic('supervisor1'));
  const msg = published.find((p) => p.user === ids.supervisor1 && p.channel === '/v2/me/devices');
  assert.equal(msg?.data.devices[0].supervisorMonitoringState.state, 'Coach');
  assert.ok(msg?.data.devices[0].capabilities.includes('CancelSupervisorMonitoring'));
  for (const p of published.filter((x) => x.user !== ids.supervisor1 && x.channel === '/v2/me/devices')) {
    assert.ok(!p.data.devices[0].capabilities.includes('ListenIn'));
  }
});

test('a failing publisher is logged and never fails the request or the switch', async () => {
  const saved = api.app.bayeux.publishToUser;
  api.app.bayeux.publishToUser = () => {
    throw new Error('transport down');
  };
  try {
    await api.ok('/api/v2/me/channels/voice', { operationName: 'NotReady' }, basic('agent2'));
    assert.equal((await api.deviceOf('agent2') as any).userState.state, 'NotReady');
  } finally {
    api.app.bayeux.publishToUser = saved;
  }
});
