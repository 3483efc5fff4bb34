/**
 * sip.unregisteredDevices "unavailable" through the GWS API (sip.md 1, docs/telephony.md): with SIP
 * on, a Dial to an extension that has no registered phone is accepted (statusCode 0, as GWS accepts a
 * request before the switch tries it) and then fails for the caller with the CallStateChangeMessage
 * notificationType Error errorCode 1008 ("unavailable"), not 1005 (rejected), and the call is
 * released; a call routed to a Ready agent without a phone skips that agent (the call stays queued).
 * With the default "simulate" the same Dial rings a simulated device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { apiConfig, basic } from '../api/harness.js';

const folder = mkdtempSync(join(tmpdir(), 'switchboard-unavailable-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

interface Published {
  user: string;
  channel: string;
  data: any;
}

async function appWith(unregisteredDevices: 'simulate' | 'unavailable'): Promise<{ app: App; published: Published[] }> {
  const demo = demoContactCenter();
  const spec = { ...demo, settings: { ...demo.settings, sip: { ...demo.settings!.sip!, unregisteredDevices } } };
  const app = await createApp(apiConfig({ contactCenters: [spec], recordings: { dir: folder } }), {
    clock: new VirtualClock(),
    ids: countingIds(),
    passwordHasher: cheapHasher,
    sipEphemeralPorts: true,
  });
  await app.telephony!.start();
  const published: Published[] = [];
  const publish = app.bayeux.publishToUser.bind(app.bayeux);
  app.bayeux.publishToUser = (user: string, channel: string, data: unknown) => {
    published.push({ user, channel, data });
    return publish(user, channel, data);
  };
  return { app, published };
}

async function post(app: App, url: string, body: unknown, user: string): Promise<any> {
  const response = await app.fastify.inject({ method: 'POST', url, payload: body as object, headers: { authorization: basic(user) } });
  return response.json();
}

async function deviceOf(app: App, user: string): Promise<string> {
  const response = await app.fastify.inject({ method: 'GET', url: '/api/v2/me/devices?fields=*', headers: { authorization: basic(user) } });
  return response.json().devices[0].id;
}

const callMessages = (published: Published[], user: string) =>
  published.filter((p) => p.channel === '/v2/me/calls' && p.user === user).map((p) => p.data);

test('unavailable: a Dial to an extension without a registered phone is accepted, then Error 1008 and Released for the caller', async () => {
  const { app, published } = await appWith('unavailable');
  try {
    assert.equal((await post(app, '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, 'agent1')).statusCode, 0);
    const device = await deviceOf(app, 'agent1');
    const agent1 = app.directory.userByName('agent1')!.id;
    const dial = await post(app, `/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5002' } }, 'agent1');
    assert.equal(dial.statusCode, 0, JSON.stringify(dial));
    const messages = callMessages(published, agent1);
    const error = messages.find((m) => m.notificationType === 'Error');
    assert.ok(error, `an Error notification: ${JSON.stringify(messages)}`);
    assert.equal(error.messageType, 'CallStateChangeMessage');
    assert.equal(error.errorCode, 1008);
    assert.match(error.errorMessage, /5002 is unavailable/);
    assert.equal(messages.at(-1).call.state, 'Released');
    const calls = await app.fastify.inject({ method: 'GET', url: '/api/v2/me/calls', headers: { authorization: basic('agent1') } });
    assert.equal(calls.json().calls?.length ?? 0, 0, 'no call left');
  } finally {
    await app.close();
  }
});

test('unavailable: a customer call to 7000 skips a Ready agent without a phone and stays queued; simulate rings the simulated device', async () => {
  const { app } = await appWith('unavailable');
  try {
    await post(app, '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, 'agent1');
    await post(app, '/api/v2/me/channels/voice', { operationName: 'Ready' }, 'agent1');
    const sim = await post(app, '/sim/v1/calls', { from: '+15551234567', to: '7000' }, 'admin');
    assert.ok(sim.callUuid, JSON.stringify(sim));
    assert.equal(app.switch.callsOf('5001').length, 0, `agent1 was not left ringing: ${JSON.stringify(app.switch.callsOf('5001').map((c) => app.switch.callView(c, '5001')))}`);
  } finally {
    await app.close();
  }
  const simulated = await appWith('simulate');
  try {
    const { app: other, published } = simulated;
    await post(other, '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] }, 'agent1');
    const device = await deviceOf(other, 'agent1');
    assert.equal((await post(other, `/api/v2/me/devices/${device}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5002' } }, 'agent1')).statusCode, 0);
    const agent1 = other.directory.userByName('agent1')!.id;
    assert.equal(callMessages(published, agent1).some((m) => m.notificationType === 'Error'), false);
    assert.equal(other.switch.callsOf('5002').length, 1, 'a simulated device rings');
  } finally {
    await simulated.app.close();
  }
});
