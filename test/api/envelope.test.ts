/**
 * The GWS envelope under every class of bad input: each answer is JSON with a statusCode, errors
 * carry only statusCode and statusMessage, the HTTP status follows the table, and nothing is a 500
 * (the harness asserts those on every call). Plus the one deliberate 500: an unexpected exception.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Api, basic, expectError } from './harness.js';

let api: Api;
let device: string;
const A = basic('agent1');

before(async () => {
  api = await Api.start({ bodyLimitBytes: 2048 });
  device = (await api.deviceOf('agent1')).id;
});
after(() => api.close());

test('malformed JSON: statusCode 10, HTTP 400, saying so', async () => {
  const r = await api.post('/api/v2/me', undefined, A, { payload: '{"operationName": ' });
  expectError(r, 10, 400, /^Request body is not valid JSON: /);
});

test('a body over the limit: statusCode 10, HTTP 413, naming the limit', async () => {
  const r = await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], pad: 'x'.repeat(4000) }, A);
  expectError(r, 10, 413, /2048 bytes/);
});

test('a content type other than JSON: statusCode 10 (HTTP 415)', async () => {
  const r = await api.post('/api/v2/me', undefined, A, { payload: 'operationName=Ready', contentType: 'application/x-www-form-urlencoded' });
  expectError(r, 10, 415, /application\/json/);
  expectError(await api.post('/api/v2/me', undefined, A, { payload: 'Ready', contentType: 'text/plain' }), 10, 415);
});

test('URLs the router cannot read: bad percent-encoding 10/400, an over-long id 10/414', async () => {
  const badEncoding = await api.get('/api/v2/me/calls/%ZZ', A);
  expectError(badEncoding, 10, 400, /percent-encoding/);
  assert.ok(badEncoding.headers['x-request-id'], 'an answer given before routing carries the request id too');
  expectError(await api.get(`/api/v2/me/calls/${'x'.repeat(300)}`, A), 10, 414, /longer than 100/);
});

test('a body without a content type: 10/415 saying which one to send', async () => {
  expectError(await api.post('/api/v2/me', undefined, A, { payload: '{"operationName":"Ready"}', contentType: '' }), 10, 415, /needs Content-Type: application\/json/);
});

test('unknown route: statusCode 6, HTTP 404; known path with the wrong method: statusCode 6, HTTP 405 with Allow', async () => {
  expectError(await api.get('/api/v2/nothing-here', A), 6, 404, /not found/);
  expectError(await api.call('GET', '/no-such-page'), 6, 404);
  const r = await api.call('DELETE', '/api/v2/me', undefined, { auth: A });
  expectError(r, 6, 405, /DELETE is not allowed/);
  assert.match(String(r.headers.allow), /GET/);
  assert.match(String(r.headers.allow), /POST/);
  expectError(await api.call('PUT', `/api/v2/me/calls/X`, { a: 1 }, { auth: A }), 6, 405);
});

test('the body must be an object; operationName present, a string, and known for the resource', async () => {
  expectError(await api.post('/api/v2/me', [1, 2], A), 10, 400, /JSON object/);
  expectError(await api.post('/api/v2/me', 'Ready', A), 10, 400, /JSON object/);
  expectError(await api.post('/api/v2/me', {}, A), 1, 400, /'operationName' is required/);
  expectError(await api.post('/api/v2/me', undefined, A), 1, 400, /operationName/);
  expectError(await api.post('/api/v2/me', { operationName: 7 }, A), 10, 400, /must be a string/);
  const unknown = await api.post('/api/v2/me', { operationName: 'ChangeState' }, A);
  expectError(unknown, 10, 400, /Unknown operationName 'ChangeState'/);
  assert.match(unknown.json.statusMessage, /StartContactCenterSession, EndContactCenterSession, Ready, NotReady/);
  const onDevice = await api.post(`/api/v2/me/devices/${device}`, { operationName: 'Hold' }, A);
  expectError(onDevice, 10, 400, /DoNotDisturbOn/);
  const onCall = await api.post('/api/v2/me/calls/ANY', { operationName: 'Alternate' }, A);
  expectError(onCall, 10, 400, /SwapCalls/);
});

test('operation names are matched ignoring case (clients send "singleStepConference")', async () => {
  await api.ok('/api/v2/me', { operationName: 'startContactCenterSession', channels: ['voice'] }, A);
  await api.ok('/api/v2/me/channels/voice', { operationName: 'ready' }, A);
});

test('missing parameters: statusCode 1 naming the parameter', async () => {
  expectError(await api.post('/api/v2/me', { operationName: 'StartContactCenterSession' }, A), 1, 400, /'channels'/);
  expectError(await api.post(`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial' }, A), 1, 400, /'destination'/);
  expectError(await api.post(`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: {} }, A), 1, 400, /'destination.phoneNumber'/);
  expectError(await api.post(`/api/v2/me/devices/${device}`, { operationName: 'ForwardCallsOn' }, A), 1, 400, /'destination'/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'SendDtmf' }, A), 1, 400, /'digits'/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'AttachUserData' }, A), 1, 400, /'userData'/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'DeleteUserDataPair' }, A), 1, 400, /'key'/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'RemoveParticipantFromConference' }, A), 1, 400, /'participant'/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'InitiateTransfer' }, A), 1, 400, /'destination'/);
});

test('wrong types and values: statusCode 10 saying what is expected', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['/api/v2/me', { operationName: 'StartContactCenterSession', channels: 'voice' }, /array of channel names/],
    ['/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['chat'] }, /must include "voice"/],
    ['/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], place: 5 }, /'place' must be a string/],
    [`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: '5002' }, /must be an object \{"phoneNumber"/],
    [`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: 5002 } }, /non-empty phone number string/],
    [`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: '' } }, /non-empty/],
    [`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5002' }, userData: { a: { b: 1 } } }, /'userData.a' must be a string or a number/],
    [`/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5002' }, userData: [1] }, /object of string or number/],
    ['/api/v2/me/calls/X', { operationName: 'SendDtmf', digits: '12a' }, /0-9, \* and #/],
    ['/api/v2/me/calls/X', { operationName: 'SendDtmf', digits: 12 }, /must be a string of the digits/],
    ['/api/v2/me/calls/X', { operationName: 'SwapCalls', otherCallUri: 3 }, /must be a string/],
    ['/api/v2/me/calls/X', { operationName: 'CompleteTransfer', consultCallUri: '///' }, /call URI/],
    [`/api/v2/me/devices/${device}`, { operationName: 'ForwardCallsOn', destination: 5002 }, /phone number string/],
    [`/api/v2/me/devices/${device}`, { operationName: 'ListenIn', phoneNumber: '5002', supervisorMonitoringScope: 'Everything' }, /Agent, Call/],
    [`/api/v2/me/devices/${device}`, { operationName: 'ListenIn', phoneNumber: '5002', supervisorMonitoringMode: 'Sometimes' }, /NextCall, AllCalls/],
    ['/api/v2/me/channels/voice', { operationName: 'Ready', workmode: 'Fast' }, /ManualIn, AutoIn/],
    ['/api/v2/me/channels/voice', { operationName: 'AfterCallWork', wrapUpTime: 'soon' }, /whole number of seconds/],
    ['/api/v2/me/channels/voice', { operationName: 'AfterCallWork', wrapUpTime: -1 }, /whole number of seconds/],
    ['/api/v2/me/channels/voice', { operationName: 'NotReady', reason: {} }, /'reason' must be a string/],
  ];
  for (const [url, body, msg] of cases) expectError(await api.post(url, body, A), 10, 400, msg);
});

test('wrong ids: statusCode 6', async () => {
  expectError(await api.get('/api/v2/me/devices/nope', A), 6, 404);
  expectError(await api.post('/api/v2/me/devices/nope', { operationName: 'DoNotDisturbOn' }, A), 6, 404);
  expectError(await api.post('/api/v2/me/devices/nope/calls', { operationName: 'Dial', destination: { phoneNumber: '5002' } }, A), 6, 404);
  expectError(await api.get('/api/v2/me/calls/nope', A), 6, 404);
  expectError(await api.post('/api/v2/me/calls/nope', { operationName: 'Hangup' }, A), 6, 404);
  expectError(await api.post('/api/v2/me/channels/chat', { operationName: 'Ready' }, A), 6, 404, /voice channel only/);
  expectError(await api.get('/api/v2/settings/general-settings', A), 6, 404);
  expectError(await api.get('/api/v2/features/api-nothing', A), 6, 404);
  // another agent's device in the same center
  const other = await api.deviceOf('agent2');
  expectError(await api.post(`/api/v2/me/devices/${other.id}`, { operationName: 'DoNotDisturbOn' }, A), 6, 404);
});

test('forbidden actions: role (5) and state (2)', async () => {
  expectError(await api.post(`/api/v2/me/devices/${device}`, { operationName: 'ListenIn', phoneNumber: '5002' }, A), 5, 403, /ROLE_SUPERVISOR/);
  expectError(await api.post('/api/v2/me/calls/X', { operationName: 'SwitchToBargeIn' }, A), 5, 403);
  expectError(await api.post(`/api/v2/me/devices/${device}`, { operationName: 'CancelSupervisorMonitoring' }, A), 5, 403);
  expectError(await api.get('/api/v2/supervision/audit', A), 5, 403);
  expectError(await api.post('/sim/v1/calls', { from: '+15551234567', to: '7000' }, A), 5, 403, /ROLE_ADMIN/);
  // admin has no device: agent-state operations are refused as a state problem
  expectError(await api.post('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic('admin')), 2, 400, /no voice device/);
  // agent2 has no session
  expectError(await api.post('/api/v2/me/channels/voice', { operationName: 'Ready' }, basic('agent2')), 2, 400, /StartContactCenterSession/);
});

test('an unexpected exception: statusCode 4, HTTP 500, the request id in the message, no stack', async () => {
  const sw = api.app.switch as { device: (dn: string) => unknown };
  const original = sw.device;
  sw.device = () => {
    throw new Error('boom: secret internals');
  };
  try {
    const r = await api.app.fastify.inject({ method: 'GET', url: '/api/v2/me/devices?fields=*', headers: { authorization: A } });
    assert.equal(r.statusCode, 500);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = JSON.parse(r.body);
    assert.deepEqual(body, { statusCode: 4, statusMessage: `Internal error; request id ${r.headers['x-request-id']}` });
    assert.doesNotMatch(r.body, /boom|at /);
  } finally {
    sw.device = original;
  }
  // and the server goes on
  assert.equal((await api.get('/api/v2/me', A)).json.statusCode, 0);
});
