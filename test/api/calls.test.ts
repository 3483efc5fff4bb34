/**
 * Calls through REST on the real SimulatedSwitch (virtual clock): the call shape, Dial, call
 * operations and their parameters, capability refusals (2), feature gating of recording (3), and
 * Reject sending a routed call on to the next agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoContactCenter } from '../../src/config/demo.js';
import { Api, basic, expectError } from './harness.js';

async function calls(api: Api, user: string): Promise<any[]> {
  const r = await api.get('/api/v2/me/calls?fields=*', basic(user));
  assert.equal(r.json.statusCode, 0);
  return r.json.calls;
}

describe('calls in the demo center', () => {
  let api: Api;
  before(async () => {
    api = await Api.start();
    await api.startSession('agent1', true);
    api.clock.advance(1000);
    await api.startSession('agent2', true);
    api.clock.advance(1000);
    await api.startSession('agent3', true);
  });
  after(() => api.close());

  let callId = '';

  test('an inbound call rings at the longest-idle agent; its shape', async () => {
    const sim = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '7000', userData: { Customer: 'ACME' } }, basic('admin'));
    callId = sim.callUuid;
    const uris = (await api.get('/api/v2/me/calls', basic('agent1'))).json.uris;
    assert.deepEqual(uris, [`http://127.0.0.1:0/api/v2/me/calls/${callId}`]);
    const [c] = await calls(api, 'agent1');
    const device = await api.deviceOf('agent1');
    assert.equal(c.id, callId);
    assert.equal(c.callUuid, callId);
    assert.equal(c.state, 'Ringing');
    assert.match(c.connId, /^[0-9a-f]{16}$/);
    assert.equal(c.deviceUri, `http://127.0.0.1:0/api/v2/devices/${device.id}`);
    assert.deepEqual(c.participants, [{ phoneNumber: '+15551234567', digits: '+15551234567', formattedPhoneNumber: '+15551234567', e164Number: '+15551234567' }]);
    assert.equal(c.ani, '+15551234567');
    assert.equal(c.dnis, '7000');
    assert.equal(c.callType, 'Inbound');
    assert.ok(c.capabilities.includes('Answer') && c.capabilities.includes('Reject'));
    assert.deepEqual(c.userData, { Customer: 'ACME' });
    assert.equal(c.duration, '0');
    assert.equal(c.mute, 'Off');
    assert.equal(c.supervisorListeningIn, false);
    assert.equal(c.monitoredUserMuted, false);
    assert.equal(c.monitoring, false);
    assert.equal(c.recordingState, undefined);
    assert.equal(c.uri, `http://127.0.0.1:0/api/v2/me/calls/${callId}`);
    assert.equal(c.path, `/calls/${callId}`);
    const one = (await api.get(`/api/v2/me/calls/${callId}`, basic('agent1'))).json.call;
    assert.deepEqual(one, c);
  });

  test('an operation not in the capabilities: statusCode 2 saying what is possible now', async () => {
    const r = await api.post(`/api/v2/me/calls/${callId}`, { operationName: 'Hold' }, basic('agent1'));
    expectError(r, 2, 400, /Hold is not possible now: your leg of call \w+ is Ringing; possible now: Answer, Reject/);
  });

  test('Answer, user data, DTMF, recording, mute, hold and retrieve', async () => {
    const op = (operationName: string, params: object = {}) => api.ok(`/api/v2/me/calls/${callId}`, { operationName, ...params }, basic('agent1'));
    await op('Answer');
    let [c] = await calls(api, 'agent1');
    assert.equal(c.state, 'Established');
    await op('UpdateUserData', { userData: { Case: 42 } });
    await op('AttachUserData', { userData: { Note: 'x' } });
    [c] = await calls(api, 'agent1');
    assert.deepEqual(c.userData, { Customer: 'ACME', Case: 42, Note: 'x' });
    await op('DeleteUserDataPair', { key: 'Note' });
    expectError(await api.post(`/api/v2/me/calls/${callId}`, { operationName: 'DeleteUserDataPair', key: 'Nope' }, basic('agent1')), 10, 400, /Nope/);
    await op('DeleteUserData');
    [c] = await calls(api, 'agent1');
    assert.equal(c.userData, undefined, 'userData omitted when empty');
    await op('SendDtmf', { digits: '12#*' });
    await op('StartCallRecording');
    [c] = await calls(api, 'agent1');
    assert.equal(c.recordingState, 'Recording');
    assert.ok(c.capabilities.includes('PauseCallRecording'));
    await op('StopCallRecording');
    await op('MuteCall');
    [c] = await calls(api, 'agent1');
    assert.equal(c.mute, 'On');
    await op('UnmuteCall');
    await op('Hold');
    [c] = await calls(api, 'agent1');
    assert.equal(c.state, 'Held');
    await op('Retrieve');
    api.clock.advance(5000);
    [c] = await calls(api, 'agent1');
    assert.equal(c.duration, '5');
  });

  test('consult transfer with a relative consultCallUri', async () => {
    await api.ok(`/api/v2/me/calls/${callId}`, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5003' } }, basic('agent1'));
    const mine = await calls(api, 'agent1');
    const consult = mine.find((c) => c.callType === 'Consult');
    assert.ok(consult, JSON.stringify(mine));
    assert.equal(consult.parentCallUri, `http://127.0.0.1:0/api/v2/me/calls/${callId}`);
    assert.equal(consult.parentCallPath, `/calls/${callId}`);
    const [ringing] = await calls(api, 'agent3');
    await api.ok(`/api/v2/me/calls/${ringing.id}`, { operationName: 'Answer' }, basic('agent3'));
    await api.ok(`/api/v2/me/calls/${callId}`, { operationName: 'CompleteTransfer', consultCallUri: `/api/v2/me/calls/${consult.id}` }, basic('agent1'));
    assert.deepEqual(await calls(api, 'agent1'), []);
    const three = await calls(api, 'agent3');
    assert.equal(three.length, 1);
    assert.equal(three[0].id, callId);
    await api.ok(`/api/v2/me/calls/${callId}`, { operationName: 'Hangup' }, basic('agent3'));
    assert.deepEqual(await calls(api, 'agent3'), []);
  });

  test('Dial an internal number: Dialing, Internal, internal participants have e164Number ""', async () => {
    const dev = await api.deviceOf('agent2');
    await api.ok(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5001' }, userData: { Why: 'test' } }, basic('agent2'));
    const [c] = await calls(api, 'agent2');
    assert.equal(c.state, 'Dialing');
    assert.equal(c.callType, 'Internal');
    assert.equal(c.dnis, '5001');
    assert.deepEqual(c.participants, [{ phoneNumber: '5001', digits: '5001', formattedPhoneNumber: '5001', e164Number: '' }]);
    assert.equal(c.ani, undefined);
    // the callee rejects: the caller's call is released
    const [ring] = await calls(api, 'agent1');
    await api.ok(`/api/v2/me/calls/${ring.id}`, { operationName: 'Reject' }, basic('agent1'));
    assert.deepEqual(await calls(api, 'agent2'), []);
  });

  test('Reject a routed call: it goes on to the next Ready agent', async () => {
    const sim = await api.ok('/sim/v1/calls', { from: '+15559876543', to: '7000' }, basic('admin'));
    const owner = ['agent1', 'agent2', 'agent3'];
    let first = '';
    for (const u of owner) if ((await calls(api, u)).some((c) => c.id === sim.callUuid)) first = u;
    assert.ok(first);
    await api.ok(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'Reject' }, basic(first));
    let next = '';
    for (const u of owner) if ((await calls(api, u)).some((c) => c.id === sim.callUuid)) next = u;
    assert.ok(next && next !== first, `rejected by ${first}, now at ${next}`);
    await api.ok(`/sim/v1/calls/${sim.callUuid}`, { operationName: 'Hangup' }, basic('admin'));
  });

  test('supervisor operations on an agent\'s call: role 5 (before the state check)', async () => {
    const dev = await api.deviceOf('agent2');
    await api.ok(`/api/v2/me/devices/${dev.id}/calls`, { operationName: 'Dial', destination: { phoneNumber: '+15550000001' } }, basic('agent2'));
    const [c] = await calls(api, 'agent2');
    assert.equal(c.callType, 'Outbound');
    expectError(await api.post(`/api/v2/me/calls/${c.id}`, { operationName: 'MuteMonitoredUser' }, basic('agent2')), 5, 403);
    await api.ok(`/api/v2/me/calls/${c.id}`, { operationName: 'Hangup' }, basic('agent2'));
  });
});

describe('a contact center without recording features', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ contactCenters: [{ ...demoContactCenter(), features: ['api-voice'] }] });
    await api.startSession('agent1', true);
  });
  after(() => api.close());

  test('recording is not offered and is refused with statusCode 3 naming the features', async () => {
    const sim = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '5001' }, basic('admin'));
    await api.ok(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'Answer' }, basic('agent1'));
    const [c] = await calls(api, 'agent1');
    assert.ok(!c.capabilities.some((x: string) => x.includes('Recording')), c.capabilities.join());
    const r = await api.post(`/api/v2/me/calls/${sim.callUuid}`, { operationName: 'StartCallRecording' }, basic('agent1'));
    expectError(r, 3, 403, /'api-voice-recording' or 'api-supervisor-recording'/);
  });
});

describe('a contact center without api-voice', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ contactCenters: [{ ...demoContactCenter(), features: [] }] });
  });
  after(() => api.close());

  test('voice operations are forbidden (3); reads still work; devices offer nothing', async () => {
    expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic('agent1')), 3, 403, /api-voice/);
    expectError(await api.post('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic('agent1')), 3, 403);
    const d = await api.deviceOf('agent1') as any;
    assert.deepEqual(d.capabilities, []);
    expectError(await api.post(`/api/v2/me/devices/${d.id}`, { operationName: 'DoNotDisturbOn' }, basic('agent1')), 3, 403);
    expectError(await api.post(`/api/v2/me/devices/${d.id}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5002' } }, basic('agent1')), 3, 403);
  });
});
