/**
 * Regressions for defects found in review, through the HTTP layer: each failed before its fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, basic, expectError } from './harness.js';

test("another user cannot log in at a device whose owner ended the session mid-call", async () => {
  const api = await Api.start();
  try {
    await api.startSession('agent1', true);
    const r = await api.ok('/sim/v1/calls', { from: '+15551230001', to: '5001' }, basic('admin'));
    await api.ok(`/api/v2/me/calls/${r.callUuid}`, { operationName: 'Answer' }, basic('agent1'));
    await api.ok(`/api/v2/me/calls/${r.callUuid}`, { operationName: 'UpdateUserData', userData: { CreditCard: '4111-xxxx' } }, basic('agent1'));
    await api.ok('/api/v2/me', { operationName: 'EndContactCenterSession' }, basic('agent1'));
    const take = await api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], place: 'Place_5001' }, basic('agent2'));
    expectError(take, 19, 409, /calls in progress/);
    assert.deepEqual((await api.get('/api/v2/me/calls', basic('agent2'))).json.uris, []);
  } finally {
    await api.close();
  }
});

test("a user-data key '__proto__' is refused with a clear message", async () => {
  const api = await Api.start();
  try {
    await api.startSession('agent1', true);
    const r = await api.ok('/sim/v1/calls', { from: '+15551230001', to: '5001' }, basic('admin'));
    const bad = await api.call('POST', `/api/v2/me/calls/${r.callUuid}`, undefined, {
      auth: basic('agent1'),
      payload: '{"operationName":"UpdateUserData","userData":{"__proto__":"x"}}',
    });
    expectError(bad, 10, 400, /__proto__/);
  } finally {
    await api.close();
  }
});
