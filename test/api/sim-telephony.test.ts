/**
 * The app with SIP on (free SIP and RTP ports): demo extensions register with their stored
 * sipPassword `demo` (digest against the HA1 hashes, realm = the contact center's name), any other
 * password, a routing point or an unknown DN is refused; POST /sim/v1/calls `tone` is checked
 * (200-3400 Hz, else statusCode 10) and, with SIP on, puts a tone speaker into the call's mixer until
 * the call ends. With SIP off the tone is accepted and nothing else changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { SipServer } from '../../src/sip/server.js';
import { systemClock } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { Api, apiConfig, basic, expectError } from './harness.js';

const ADMIN = basic('admin');
const folder = mkdtempSync(join(tmpdir(), 'switchboard-sip-app-'));
after(() => rmSync(folder, { recursive: true, force: true }));

describe('POST /sim/v1/calls tone, SIP off', () => {
  let api: Api;
  before(async () => {
    api = await Api.start();
  });
  after(() => api.close());

  test('a tone outside 200-3400 Hz, or not a number, is statusCode 10; the edges are accepted', async () => {
    for (const tone of [199, 3401, '440', true, -440, { hz: 440 }]) {
      expectError(await api.post('/sim/v1/calls', { from: '+15551234567', to: '7000', tone }, ADMIN), 10, 400, /'tone'/);
    }
    for (const tone of [200, 440.5, 3400]) {
      const { callUuid } = await api.ok('/sim/v1/calls', { from: '+15551234567', to: '7000', tone }, ADMIN);
      assert.match(callUuid, /^\w{32}$/);
    }
    assert.equal(api.app.telephony, undefined, 'no mixer: the tone goes nowhere');
  });
});

describe('SIP on: registration against the stored credentials, and tones in the mixer', () => {
  let app: App;
  let sipPort: number;
  let phone: SipServer;

  before(async () => {
    app = await createApp(apiConfig({ recordings: { dir: folder } }), { sipEphemeralPorts: true, passwordHasher: cheapHasher });
    const listening = await app.listen();
    assert.ok(listening.sipPort && listening.sipPort > 0, 'a SIP port was bound');
    sipPort = listening.sipPort!;
    phone = await SipServer.start({ host: '127.0.0.1', port: 0, clock: systemClock, lookup: { lookupExtension: () => undefined }, defaultRealm: 'phone' });
  });
  after(async () => {
    await phone.close();
    await app.close();
  });

  const register = (dn: string, password: string) =>
    phone.request({
      method: 'REGISTER',
      uri: `sip:127.0.0.1:${sipPort}`,
      to: `<sip:${dn}@127.0.0.1>`,
      from: `<sip:${dn}@127.0.0.1>`,
      headers: [{ name: 'Expires', value: '120' }],
      destination: { transport: 'udp', address: '127.0.0.1', port: sipPort },
      credentials: { username: dn, password },
    });

  test('5001 and 5101 register with password demo; a wrong password, a routing point or an unknown DN get 403', async () => {
    assert.equal((await register('5001', 'demo')).response.status, 200);
    assert.equal((await register('5101', 'demo')).response.status, 200);
    assert.equal(app.telephony!.isRegistered('5001'), true);
    assert.equal(app.telephony!.isRegistered('5101'), true);
    assert.equal((await register('5002', 'wrong')).response.status, 403);
    assert.equal((await register('7000', 'demo')).response.status, 403, 'routing points have no sipPassword');
    assert.equal(app.telephony!.isRegistered('5002'), false);
    // (a fourth failure from this address would still be under the lockout of 5 in 60 s)
    assert.equal((await register('4999', 'demo')).response.status, 403);
  });

  test('a toned simulated customer is a speaker in the mixer until the call ends', async () => {
    const post = (url: string, body: unknown) =>
      app.fastify.inject({ method: 'POST', url, headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const mixedCalls = async () => (await app.telephony!.media.stats()).reduce((sum, mixer) => sum + mixer.calls, 0);
    assert.equal(await mixedCalls(), 0);
    const created = JSON.parse((await post('/sim/v1/calls', { from: '+15551234567', to: '7000', tone: 440 })).body);
    assert.equal(created.statusCode, 0, JSON.stringify(created));
    assert.equal(await mixedCalls(), 1, 'the tone speaker makes the call a mixer call');
    const hungUp = JSON.parse((await post(`/sim/v1/calls/${created.callUuid}`, { operationName: 'Hangup' })).body);
    assert.equal(hungUp.statusCode, 0, JSON.stringify(hungUp));
    // removal is one more media command behind the hang-up: wait for it, loudly bounded
    let calls = await mixedCalls();
    for (let attempt = 0; attempt < 200 && calls !== 0; attempt++) calls = await mixedCalls();
    assert.equal(calls, 0, 'the call left the mixer when it ended');
  });
});
