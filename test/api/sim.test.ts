/**
 * The simulation API: admin only (5), scoped to the admin's contact center (6), its validation,
 * external hang-up and the media matrix; and absent altogether with simApi=false (404, 6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, basic, expectError } from './harness.js';

const ADMIN = basic('admin');

describe('simulation API on', () => {
  let api: Api;
  before(async () => {
    api = await Api.start();
    await api.startSession('agent1', true);
  });
  after(() => api.close());

  test('only admins: statusCode 5 for agents and supervisors; 20 without credentials', async () => {
    const body = { from: '+15551234567', to: '7000' };
    expectError(await api.post('/sim/v1/calls', body, basic('agent1')), 5, 403);
    expectError(await api.post('/sim/v1/calls', body, basic('supervisor1')), 5, 403);
    expectError(await api.call('POST', '/sim/v1/calls', body), 20, 401);
    expectError(await api.get('/sim/v1/calls/X/media', basic('agent1')), 5, 403);
  });

  test('validation: from and to required (1), strings (10); from must be external (10); unknown to (6)', async () => {
    expectError(await api.post('/sim/v1/calls', { to: '7000' }, ADMIN), 1, 400, /'from'/);
    expectError(await api.post('/sim/v1/calls', { from: '+15551234567' }, ADMIN), 1, 400, /'to'/);
    expectError(await api.post('/sim/v1/calls', { from: 15551234567, to: '7000' }, ADMIN), 10, 400);
    expectError(await api.post('/sim/v1/calls', { from: '5002', to: '7000' }, ADMIN), 10, 400, /external number/);
    expectError(await api.post('/sim/v1/calls', { from: '+15551234567', to: '4242' }, ADMIN), 6, 404);
    expectError(await api.post('/sim/v1/calls', { from: '+15551234567', to: '7000', userData: 'x' }, ADMIN), 10, 400);
  });

  test('a call, its media, and the customer hanging up', async () => {
    const { callUuid } = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '7000' }, ADMIN);
    assert.match(callUuid, /^\w{32}$/);
    await api.ok(`/api/v2/me/calls/${callUuid}`, { operationName: 'Answer' }, basic('agent1'));
    const media = await api.get(`/sim/v1/calls/${callUuid}/media`, ADMIN);
    assert.deepEqual(media.json, {
      statusCode: 0,
      parties: [
        { phoneNumber: '+15551234567', hears: ['5001'] },
        { phoneNumber: '5001', hears: ['+15551234567'] },
      ],
    });
    expectError(await api.post(`/sim/v1/calls/${callUuid}`, { operationName: 'Transfer' }, ADMIN), 10, 400, /Hangup/);
    expectError(await api.post(`/sim/v1/calls/${callUuid}`, { operationName: 'Hangup', phoneNumber: '+1999' }, ADMIN), 6, 404);
    await api.ok(`/sim/v1/calls/${callUuid}`, { operationName: 'Hangup' }, ADMIN);
    expectError(await api.get(`/sim/v1/calls/${callUuid}/media`, ADMIN), 6, 404);
    expectError(await api.post(`/sim/v1/calls/${callUuid}`, { operationName: 'Hangup' }, ADMIN), 6, 404);
  });
});

describe('simulation API off', () => {
  let api: Api;
  before(async () => {
    api = await Api.start({ simApi: false });
  });
  after(() => api.close());

  test('every /sim/v1 path is 404, statusCode 6', async () => {
    expectError(await api.post('/sim/v1/calls', { from: '+15551234567', to: '7000' }, ADMIN), 6, 404);
    expectError(await api.get('/sim/v1/calls/X/media', ADMIN), 6, 404);
    expectError(await api.post('/sim/v1/calls/X', { operationName: 'Hangup' }, ADMIN), 6, 404);
  });
});
