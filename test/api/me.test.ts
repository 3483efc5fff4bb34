/**
 * The caller's own resources and the directory: /me shapes with and without subresources, device
 * listings, sessions (start, places, end), agent states (system and custom), agent-state
 * settings, features, contacts and the version probe.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Api, basic, expectError } from './harness.js';

let api: Api;
before(async () => {
  api = await Api.start();
});
after(() => api.close());

const BASE = 'http://127.0.0.1:0';

test('GET /api/v2/me: the user, settings always an object of objects, uri and path', async () => {
  const r = await api.get('/api/v2/me', basic('supervisor1'));
  assert.equal(r.json.statusCode, 0);
  const u = r.json.user;
  assert.match(u.id, /^[0-9a-f]{32}$/);
  assert.equal(u.userName, 'supervisor1');
  assert.deepEqual(u.roles, ['ROLE_AGENT', 'ROLE_SUPERVISOR']);
  assert.match(u.contactCenterId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(u.settings, { 'interaction-workspace': {} });
  assert.equal(u.uri, `${BASE}/api/v2/users/${u.id}`);
  assert.equal(u.path, `/users/${u.id}`);
  assert.equal(u.enabled, true);
  assert.equal(u.devices, undefined, 'no subresources unless asked');
});

test('GET /api/v2/me: the kept answer is the one built from the user, per user, and follows the base URL', async () => {
  const own = await Api.start();
  try {
    const first = await own.get('/api/v2/me', basic('agent1'));
    const again = await own.get('/api/v2/me', basic('agent1'));
    assert.equal(JSON.stringify(again.json), JSON.stringify(first.json), 'the same answer twice');
    // an unknown subresource, or settings (always there), adds nothing: the same answer as the plain one
    for (const asked of ['skills', 'settings', 'settings,skills', '']) {
      assert.equal(JSON.stringify((await own.get(`/api/v2/me?subresources=${asked}`, basic('agent1'))).json), JSON.stringify(first.json), asked);
    }
    const other = await own.get('/api/v2/me', basic('agent2'));
    assert.equal(other.json.user.userName, 'agent2', 'kept per user, not one answer for everyone');
    assert.equal(first.json.user.uri, `${BASE}/api/v2/users/${first.json.user.id}`);
    // listening makes the base URL the real port: the kept answer is written again with it
    const { baseUrl } = await own.app.listen();
    const after = await own.get('/api/v2/me', basic('agent1'));
    assert.equal(after.json.user.uri, `${baseUrl}/api/v2/users/${first.json.user.id}`);
    assert.deepEqual({ ...after.json.user, uri: undefined }, { ...first.json.user, uri: undefined });
  } finally {
    await own.close();
  }
});

test('GET /api/v2/me?subresources=*: devices, calls, channels and features nested in user', async () => {
  const u = (await api.get('/api/v2/me?subresources=*', basic('agent1'))).json.user;
  assert.equal(u.devices.length, 1);
  assert.equal(u.devices[0].phoneNumber, '5001');
  assert.deepEqual(u.calls, []);
  assert.deepEqual(u.channels, [{ channel: 'voice', userState: { state: 'LoggedOut', displayName: 'Logged Out' }, dndState: 'Off' }]);
  assert.ok(u.features.some((f: any) => f.id === 'api-voice' && f.uri.endsWith('/api/v2/features/api-voice') && f.path === '/features/api-voice'));
  assert.deepEqual(u.settings, { 'interaction-workspace': {} });
  // a named list (the widget's) gives just those
  const w = (await api.get('/api/v2/me?subresources=features,devices,channels,settings', basic('agent1'))).json.user;
  assert.ok(Array.isArray(w.devices) && Array.isArray(w.features) && Array.isArray(w.channels));
  assert.equal(w.calls, undefined);
  // the admin has no device
  const a = (await api.get('/api/v2/me?subresources=*', basic('admin'))).json.user;
  assert.deepEqual(a.devices, []);
  assert.deepEqual(a.channels, []);
});

test('devices: uris by default, objects with ?fields=*, one by id; the device shape', async () => {
  const uris = (await api.get('/api/v2/me/devices', basic('agent1'))).json;
  assert.equal(uris.uris.length, 1);
  assert.match(uris.uris[0], /^http:\/\/127\.0\.0\.1:0\/api\/v2\/devices\/[0-9a-f-]{36}$/);
  const d = (await api.get('/api/v2/me/devices?fields=*', basic('agent1'))).json.devices[0];
  assert.deepEqual(Object.keys(d), ['id', 'deviceState', 'userState', 'phoneNumber', 'e164Number', 'telephonyNetwork', 'doNotDisturb', 'voiceEnvironmentUri', 'capabilities', 'channels']);
  assert.equal(d.deviceState, 'Inactive');
  assert.equal(d.telephonyNetwork, 'Private');
  assert.deepEqual(d.capabilities, ['ForwardCallsOn', 'DoNotDisturbOn'], 'no supervisor capabilities for an agent');
  assert.match(d.voiceEnvironmentUri, /\/api\/v2\/voice-environments\/[0-9a-f-]{36}$/);
  const one = (await api.get(`/api/v2/me/devices/${d.id}`, basic('agent1'))).json.device;
  assert.deepEqual(one, d);
  const picked = (await api.get('/api/v2/me/devices?fields=phoneNumber', basic('agent1'))).json.devices[0];
  assert.deepEqual(picked, { id: d.id, phoneNumber: '5001' });
  // a supervisor sees the supervisor capabilities
  const s = (await api.get('/api/v2/me/devices?fields=*', basic('supervisor1'))).json.devices[0];
  assert.deepEqual(s.capabilities, ['ForwardCallsOn', 'DoNotDisturbOn', 'ListenIn', 'Coach', 'BargeIn']);
});

test('session: StartContactCenterSession logs in (Active, Not Ready); agent states; EndContactCenterSession logs out', async () => {
  const A = basic('agent2');
  await api.ok('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, A);
  let d = await api.deviceOf('agent2') as any;
  assert.equal(d.deviceState, 'Active');
  assert.deepEqual(d.userState, { id: '900D55CC-2BB0-431F-8BF9-D3525B383BE6', displayName: 'Not Ready', state: 'NotReady' });
  await api.ok('/api/v2/me/channels/voice', { operationName: 'Ready', workmode: 'ManualIn' }, A);
  d = await api.deviceOf('agent2');
  assert.deepEqual(d.userState, { id: '9430250E-0A1B-421F-B372-F29E69366DED', displayName: 'Ready', state: 'Ready' });
  await api.ok('/api/v2/me/channels/voice', { operationName: 'AfterCallWork', wrapUpTime: '0' }, A);
  assert.deepEqual((await api.deviceOf('agent2') as any).userState, {
    id: 'D3663509-3D82-4DD3-A82E-2EA8EFA02AEF', displayName: 'AfterCallWork', state: 'NotReady', workMode: 'AfterCallWork',
  });
  await api.ok('/api/v2/me/channels/voice', { operationName: 'AuxWork' }, A);
  assert.equal((await api.deviceOf('agent2') as any).userState.workMode, 'AuxWork');
  // a custom state, by its own operationName
  await api.ok('/api/v2/me/channels/voice', { operationName: 'Lunch' }, A);
  const lunch = (await api.deviceOf('agent2') as any).userState;
  assert.equal(lunch.displayName, 'Out to Lunch');
  assert.equal(lunch.reason, 'Lunch');
  assert.equal(lunch.state, 'NotReady');
  // NotReady with a reason that matches a custom state shows that state
  await api.ok('/api/v2/me/channels/voice', { operationName: 'NotReady', reason: 'Training' }, A);
  assert.equal((await api.deviceOf('agent2') as any).userState.displayName, 'Training');
  // Ready and NotReady on /api/v2/me too
  await api.ok('/api/v2/me', { operationName: 'Ready' }, A);
  assert.equal((await api.deviceOf('agent2') as any).userState.state, 'Ready');
  await api.ok('/api/v2/me', { operationName: 'NotReady' }, A);
  assert.equal((await api.deviceOf('agent2') as any).userState.state, 'NotReady');
  // the channel state follows
  const ch = (await api.get('/api/v2/me?subresources=channels', basic('agent2'))).json.user.channels[0];
  assert.equal(ch.userState.state, 'NotReady');
  // starting again is harmless
  await api.ok('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice', 'chat'] }, A);
  await api.ok('/api/v2/me', { operationName: 'EndContactCenterSession' }, A);
  d = await api.deviceOf('agent2');
  assert.equal(d.deviceState, 'Inactive');
  assert.equal(d.userState.state, 'LoggedOut');
});

test('session at a place: unknown place 6; another user\'s free place moves its device to the caller until the session ends', async () => {
  const A = basic('agent3');
  expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], place: 'Nowhere' }, A), 6, 404, /Place 'Nowhere'/);
  await api.ok('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], place: 'Place_5004' }, A);
  assert.equal((await api.deviceOf('agent3')).phoneNumber, '5004');
  const four = await api.get('/api/v2/me/devices', basic('agent4'));
  assert.deepEqual(four.json.uris, [], "agent4's device is in agent3's session");
  // agent4 cannot log in on it meanwhile
  expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], place: 'Place_5004' }, basic('agent4')), 19, 409);
  await api.ok('/api/v2/me', { operationName: 'EndContactCenterSession' }, A);
  assert.equal((await api.deviceOf('agent3')).phoneNumber, '5003');
  assert.equal((await api.deviceOf('agent4')).phoneNumber, '5004');
  // devicePath picks a device; one that is not at the place is 6
  expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], devicePath: '/devices/none' }, A), 6, 404);
});

test('the admin (no device) cannot start a voice session: statusCode 2', async () => {
  expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, basic('admin')), 2, 400, /no device/);
  // but may end one (a no-op that still invalidates the HTTP session)
  await api.ok('/api/v2/me', { operationName: 'EndContactCenterSession' }, basic('admin'));
});

test('GET /api/v2/settings/agent-states: system and custom states with their operationName', async () => {
  const r = await api.get('/api/v2/settings/agent-states', basic('agent1'));
  const byOp = Object.fromEntries(r.json.settings.map((s: any) => [s.operationName, s]));
  assert.deepEqual(Object.keys(byOp), ['Ready', 'NotReady', 'AfterCallWork', 'AuxWork', 'Lunch', 'Training']);
  assert.deepEqual(byOp.Ready, { id: '9430250E-0A1B-421F-B372-F29E69366DED', displayName: 'Ready', state: 'Ready', operationName: 'Ready' });
  assert.deepEqual(byOp.Lunch, { id: byOp.Lunch.id, displayName: 'Out to Lunch', state: 'NotReady', operationName: 'Lunch', workMode: 'AuxWork', reason: 'Lunch' });
});

test('GET /api/v2/features: the contact center\'s features', async () => {
  const r = await api.get('/api/v2/features', basic('agent1'));
  const ids = r.json.features.map((f: any) => f.id);
  assert.ok(ids.includes('api-voice') && ids.includes('api-supervisor-monitoring'));
  for (const f of r.json.features) {
    assert.equal(typeof f.displayName, 'string');
    assert.equal(f.path, `/features/${f.id}`);
  }
  const one = await api.get('/api/v2/features/api-voice', basic('agent1'));
  assert.equal(one.json.feature.id, 'api-voice');
});

test('GET /api/v2/contacts: users of the caller\'s center with voice availability; the widget\'s query works', async () => {
  await api.startSession('agent5', true);
  const r = await api.get('/api/v2/contacts', basic('agent1'));
  assert.equal(r.json.totalCount, 13);
  const five = r.json.contacts.find((c: any) => c.userName === 'agent5');
  assert.equal(five.type, 'User');
  assert.deepEqual(five.phoneNumbers.map((p: any) => p.phoneNumber), ['5005']);
  assert.deepEqual(five.availability.channels[0], {
    channel: 'voice', available: true, phoneNumber: '5005', userActivity: 'Idle',
    userState: { id: '9430250E-0A1B-421F-B372-F29E69366DED', displayName: 'Ready', state: 'Ready' },
  });
  const six = r.json.contacts.find((c: any) => c.userName === 'agent6');
  assert.equal(six.availability.channels[0].available, false);
  const w = await api.get('/api/v2/contacts?type=User&roles=ROLE_AGENT&limit=5&filterName=NamesOrPhoneNumberMatches&filterParameters=*&sortBy=name&order=Ascending', basic('agent1'));
  assert.equal(w.json.totalCount, 12);
  assert.equal(w.json.contacts.length, 5);
  const f = await api.get('/api/v2/contacts?filterParameters=510*', basic('agent1'));
  assert.deepEqual(f.json.contacts.map((c: any) => c.userName).sort(), ['supervisor1', 'supervisor2']);
  expectError(await api.get('/api/v2/contacts?limit=lots', basic('agent1')), 10, 400, /'limit'/);
});

test('GET /api/v2/diagnostics/version answers without credentials', async () => {
  const r = await api.call('GET', '/api/v2/diagnostics/version');
  assert.equal(r.json.statusCode, 0);
  assert.match(r.json.version, /^\d+\.\d+\.\d+/);
});
