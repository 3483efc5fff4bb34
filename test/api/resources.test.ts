/**
 * The resources `uri` fields point at: devices, users, voice environments. Own ones are always
 * readable, others need ROLE_SUPERVISOR or ROLE_ADMIN, and another center's ids are unknown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, basic, expectError, otherCenter } from './harness.js';
import { demoContactCenter } from '../../src/config/demo.js';

test('every uri in /me resolves: user, devices, voice environment', async () => {
  const api = await Api.start();
  try {
    const me = (await api.get('/api/v2/me?subresources=*', basic('agent1'))).json.user;
    const path = (uri: string) => new URL(uri).pathname;
    const user = await api.get(path(me.uri), basic('agent1'));
    assert.equal(user.json.user.userName, 'agent1');
    const dev = me.devices[0];
    const byUri = await api.get(path(`${me.uri.split('/api/v2/')[0]}/api/v2/devices/${dev.id}`), basic('agent1'));
    assert.equal(byUri.json.device.phoneNumber, '5001');
    const env = await api.get(path(dev.voiceEnvironmentUri), basic('agent1'));
    assert.equal(env.json.voiceEnvironment.id, path(dev.voiceEnvironmentUri).split('/').pop());
  } finally {
    await api.close();
  }
});

test("other users' resources: supervisors and admins yes, agents no, other centers unknown", async () => {
  const api = await Api.start({ contactCenters: [demoContactCenter(), otherCenter()] });
  try {
    const a2 = await api.deviceOf('agent2');
    const a2user = (await api.get('/api/v2/me', basic('agent2'))).json.user;
    expectError(await api.get(`/api/v2/devices/${a2.id}`, basic('agent1')), 5, 403, /ROLE_SUPERVISOR or ROLE_ADMIN/);
    expectError(await api.get(`/api/v2/users/${a2user.id}`, basic('agent1')), 5, 403);
    expectError(await api.get('/api/v2/devices', basic('agent1')), 5, 403);
    assert.equal((await api.get(`/api/v2/devices/${a2.id}`, basic('supervisor1'))).json.device.phoneNumber, '5002');
    assert.equal((await api.get(`/api/v2/users/${a2user.id}`, basic('admin'))).json.user.userName, 'agent2');
    const list = await api.get('/api/v2/devices?fields=*', basic('admin'));
    assert.deepEqual(list.json.devices.map((d: { phoneNumber: string }) => d.phoneNumber).slice(0, 3), ['5001', '5002', '5003']);
    assert.ok((await api.get('/api/v2/devices', basic('supervisor1'))).json.uris.every((u: string) => u.includes('/api/v2/devices/')));
    // another contact center's ids answer exactly like unknown ones
    expectError(await api.get(`/api/v2/devices/${a2.id}`, basic('otheradmin')), 6, 404);
    expectError(await api.get(`/api/v2/users/${a2user.id}`, basic('otheradmin')), 6, 404);
    expectError(await api.get('/api/v2/devices/nope', basic('otheradmin')), 6, 404);
  } finally {
    await api.close();
  }
});

test('a contact uri resolves to that contact; other centers answer not found', async () => {
  const api = await Api.start({ contactCenters: [demoContactCenter(), otherCenter()] });
  try {
    const list = await api.get('/api/v2/contacts', basic('agent1'));
    const c = list.json.contacts.find((x: { userName: string }) => x.userName === 'agent2');
    const one = await api.get(new URL(c.uri).pathname, basic('agent1'));
    assert.deepEqual(one.json.contact, c);
    expectError(await api.get(new URL(c.uri).pathname, basic('other1')), 6, 404);
  } finally {
    await api.close();
  }
});
