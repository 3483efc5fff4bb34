/**
 * Hot-desking (issue 7, point 7; the rule is in src/gws/me-ops.ts and docs/compatibility.md): a
 * user who takes another user's place never locks its provisioned owner out. Whenever nobody is
 * logged in on the owner's device, the owner's StartContactCenterSession takes it back (with or
 * without naming the place) and the borrower returns to their own devices; while the borrower is
 * logged in there, the owner is refused with statusCode 19; EndContactCenterSession gives it back.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { Api, basic, expectError } from './harness.js';

let api: Api;
beforeEach(async () => {
  api = await Api.start();
});
afterEach(() => api.close());

const start = (user: string, place?: string) =>
  api.post('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'], ...(place ? { place } : {}) }, basic(user));
const devicesOf = async (user: string): Promise<string[]> =>
  (await api.get('/api/v2/me/devices?fields=*', basic(user))).json.devices.map((d: { phoneNumber: string }) => d.phoneNumber);

test('the owner is refused while the borrower is logged in at their place, and gets it back when the borrower ends the session', async () => {
  assert.equal((await start('agent2', 'Place_5001')).json.statusCode, 0);
  assert.deepEqual(await devicesOf('agent2'), ['5001']);
  expectError(await start('agent1'), 19, 409, /in use/);
  expectError(await start('agent1', 'Place_5001'), 19, 409, /in use/);
  assert.equal((await api.post('/api/v2/me', { operationName: 'EndContactCenterSession' }, basic('agent2'))).json.statusCode, 0);
  assert.equal((await start('agent1')).json.statusCode, 0);
  assert.deepEqual(await devicesOf('agent1'), ['5001']);
});

for (const named of [false, true]) {
  test(`a borrower no longer logged in at the place does not lock its owner out (owner ${named ? 'names the place' : 'names no place'})`, async () => {
    assert.equal((await start('agent2', 'Place_5001')).json.statusCode, 0);
    // the borrower is logged out on the switch (at the phone, by an administrator) without ending the GWS session
    assert.equal(api.app.switch.logout('5001').ok, true);
    assert.deepEqual(await devicesOf('agent1'), [], 'the place is still lent');
    const r = await start('agent1', named ? 'Place_5001' : undefined);
    assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
    assert.deepEqual(await devicesOf('agent1'), ['5001']);
    assert.deepEqual(await devicesOf('agent2'), ['5002'], 'the borrower is back at their own place');
    assert.equal(api.app.switch.device('5001')?.userId, api.app.directory.userByName('agent1')!.id);
  });
}
