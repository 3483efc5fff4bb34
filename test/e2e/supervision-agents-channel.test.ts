/**
 * The /v2/supervision/agents channel end to end, with the official CometD client over a real
 * socket: a change of an agent reaches the supervisors of that agent's group only. A supervisor of
 * another group, the agent themself, another agent and a supervisor of another contact center,
 * each subscribed to /v2/supervision/agents (and the agent to /v2/** as well), receive nothing of
 * it; each check ends on a later message that the same session does receive (its queue is in
 * order), so "nothing" is asserted without a sleep. The same for /v2/supervision/routing-points:
 * a call waiting at a routing point reaches the supervisors of its groups only, and the queue's
 * next change within the panel's interval arrives when the interval ends.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import type { App } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { PANEL_INTERVAL_MS } from '../../src/gws/team-notifier.js';
import { connectClient } from '../helpers/cometd-client.js';
import type { Delivery, TestClient } from '../helpers/cometd-client.js';
import { otherCenter } from '../api/harness.js';

const TEAM = '/v2/supervision/agents';
const auth = (user: string) => 'Basic ' + Buffer.from(`${user}:demo`).toString('base64');

let app: App;
let baseUrl: string;
const clients: TestClient[] = [];

async function post(user: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(baseUrl + path, { method: 'POST', headers: { Authorization: auth(user), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  assert.equal(json.statusCode, 0, `${user} POST ${path}: ${JSON.stringify(json)}`);
}

async function client(user: string, ...channels: string[]): Promise<TestClient> {
  const c = await connectClient({ url: `${baseUrl}/api/v2/notifications`, transport: 'long-polling', headers: { Authorization: auth(user) }, name: user });
  clients.push(c);
  for (const ch of channels) await c.subscribe(ch);
  return c;
}

const teamRow = (userName: string, state: string) => (d: Delivery) =>
  d.channel === TEAM && d.data?.messageType === 'SupervisedAgentStateChangeMessage' && d.data.agents[0]?.userName === userName && d.data.agents[0].userState.state === state;

const teamDeliveries = (c: TestClient) => c.events.items.filter((d) => d.channel === TEAM);

/** the app's clock: the routing-point panels of one interval wait for it to move */
const clock = new VirtualClock();

before(async () => {
  const demo = demoContactCenter();
  const config = testConfig({
    contactCenters: [
      {
        ...demo,
        agentGroups: [
          { name: 'North', agents: ['agent1', 'agent2'], supervisors: ['supervisor1'] },
          { name: 'South', agents: ['agent3'], supervisors: ['supervisor2'] },
        ],
        routingPoints: [{ number: '7000', agentGroup: 'North' }],
      },
      otherCenter(),
    ],
  });
  app = await createApp(config, { clock, ids: countingIds() });
  baseUrl = (await app.listen()).baseUrl;
});

after(async () => {
  for (const c of clients) await c.disconnect().catch(() => undefined);
  await app.close();
});

test('an agent change reaches the supervisors of that agent only', async () => {
  const supervisor1 = await client('supervisor1', TEAM);
  const supervisor2 = await client('supervisor2', TEAM);
  const agent1 = await client('agent1', TEAM, '/v2/**');
  const agent2 = await client('agent2', TEAM);
  const othersup = await client('othersup', TEAM);

  await post('agent1', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
  await post('agent1', '/api/v2/me/channels/voice', { operationName: 'Ready' });
  const row = (await supervisor1.events.next(teamRow('agent1', 'Ready'), 5000, 'agent1 Ready on the team channel')).data.agents[0];
  assert.equal(row.device.phoneNumber, '5001');
  assert.deepEqual(row.calls, []);

  // sentinels: a later change each session does receive, after which nothing of agent1 may have come
  await post('agent3', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
  await post('agent3', '/api/v2/me/channels/voice', { operationName: 'Ready' });
  await supervisor2.events.next(teamRow('agent3', 'Ready'), 5000, 'agent3 Ready on the team channel');
  assert.deepEqual(teamDeliveries(supervisor2).map((d) => d.data.agents[0].userName).filter((n) => n !== 'agent3'), []);

  await post('other1', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
  await post('other1', '/api/v2/me/channels/voice', { operationName: 'Ready' });
  await othersup.events.next(teamRow('other1', 'Ready'), 5000, 'other1 Ready on the other center\'s team channel');
  assert.deepEqual(teamDeliveries(othersup).map((d) => d.data.agents[0].userName).filter((n) => n !== 'other1'), []);

  await post('agent1', '/api/v2/me/channels/voice', { operationName: 'NotReady' });
  await agent1.events.next((d) => d.channel === '/v2/me/devices' && d.data.devices[0].userState.state === 'NotReady', 5000, 'agent1 NotReady on its own channel');
  assert.deepEqual(teamDeliveries(agent1), [], 'an agent receives nothing on the team channel');
  assert.deepEqual(agent1.events.items.filter((d) => !d.channel.startsWith('/v2/me/')), [], 'nor on any channel but its own');
  await supervisor1.events.next(teamRow('agent1', 'NotReady'), 5000, 'agent1 NotReady on the team channel');
  assert.deepEqual(teamDeliveries(supervisor1).map((d) => d.data.agents[0].userName).filter((n) => n !== 'agent1'), []);

  // agent2 subscribed, but is no supervisor: still nothing, up to agent2's own change on its own channel
  await agent2.subscribe('/v2/me/devices');
  await post('agent2', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
  await agent2.events.next((d) => d.channel === '/v2/me/devices' && d.data.devices[0].deviceState === 'Active', 5000, 'agent2 session on its own channel');
  assert.deepEqual(teamDeliveries(agent2), []);
});

test('a monitored call shows the supervisor, the call and its mode on the channel', async () => {
  const supervisor1 = clients.find((c) => c.name === 'supervisor1')!;
  await post('agent1', '/api/v2/me/channels/voice', { operationName: 'Ready' });
  await post('supervisor1', '/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
  const meRes = await (await fetch(`${baseUrl}/api/v2/me/devices?fields=*`, { headers: { Authorization: auth('supervisor1') } })).json();
  await post('supervisor1', `/api/v2/me/devices/${meRes.devices[0].id}`, { operationName: 'Coach', phoneNumber: '5001' });
  const armed = await supervisor1.events.next((d) => d.channel === TEAM && d.data.agents[0].userName === 'agent1' && d.data.agents[0].monitoring.length === 1, 5000, 'agent1 monitored');
  assert.equal(armed.data.agents[0].monitoring[0].state, 'Coach');
  assert.equal(armed.data.agents[0].monitoring[0].supervisor.userName, 'supervisor1');

  const sim = await fetch(`${baseUrl}/sim/v1/calls`, { method: 'POST', headers: { Authorization: auth('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '+15557654321', to: '5001' }) });
  const { callUuid } = await sim.json();
  await post('agent1', `/api/v2/me/calls/${callUuid}`, { operationName: 'Answer' });
  const onCall = await supervisor1.events.next(
    (d) => d.channel === TEAM && d.data.agents[0].userName === 'agent1' && d.data.agents[0].calls[0]?.state === 'Established' && d.data.agents[0].monitoring[0]?.callUuid === callUuid,
    5000,
    'agent1 on a coached call',
  );
  // in Coach the supervisor is among the agent's participants (supervision.md section 8, notifyAgent always)
  assert.deepEqual(onCall.data.agents[0].calls[0].participants.map((p: { phoneNumber: string }) => p.phoneNumber), ['+15557654321', '5101']);
});

test('a call waiting at a routing point reaches the supervisors of that routing point only', async () => {
  const RP = '/v2/supervision/routing-points';
  const supervisor1 = clients.find((c) => c.name === 'supervisor1')!;
  const supervisor2 = clients.find((c) => c.name === 'supervisor2')!;
  await supervisor1.subscribe(RP);
  await supervisor2.subscribe(RP);
  // agent1 is on a call and agent2 not Ready: the call waits at 7000 (group North, supervisor1's)
  const sim = await fetch(`${baseUrl}/sim/v1/calls`, { method: 'POST', headers: { Authorization: auth('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '+15550009999', to: '7000' }) });
  const { callUuid } = await sim.json();
  const queued = await supervisor1.events.next(
    (d) => d.channel === RP && d.data.messageType === 'SupervisedRoutingPointStateChangeMessage' && d.data.routingPoints[0].calls.some((c: { callUuid: string }) => c.callUuid === callUuid),
    5000,
    'the queued call on the routing-point channel',
  );
  assert.equal(queued.data.routingPoints[0].phoneNumber, '7000');
  assert.equal(queued.data.routingPoints[0].callsWaiting, 1);
  // sentinel for supervisor2: a later change of its own team
  await post('agent3', '/api/v2/me/channels/voice', { operationName: 'NotReady' });
  await supervisor2.events.next(teamRow('agent3', 'NotReady'), 5000, 'agent3 NotReady on the team channel');
  assert.deepEqual(supervisor2.events.items.filter((d) => d.channel === RP), [], 'supervisor2 does not supervise 7000');
  // the caller gives up: the queue is empty again, within the panel's interval: that panel comes when
  // the interval ends (team-notifier.ts PANEL_INTERVAL_MS), and only then
  await fetch(`${baseUrl}/sim/v1/calls/${callUuid}`, { method: 'POST', headers: { Authorization: auth('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ operationName: 'Hangup' }) });
  // sentinel: a later message supervisor1 does receive (its queue is in order)
  await post('agent2', '/api/v2/me/channels/voice', { operationName: 'Ready' });
  await supervisor1.events.next(teamRow('agent2', 'Ready'), 5000, 'agent2 Ready on the team channel');
  const panels = () => supervisor1.events.items.filter((d) => d.channel === RP);
  assert.equal(panels().length, 1, 'no second panel within the interval');
  clock.advance(PANEL_INTERVAL_MS);
  await supervisor1.events.next((d) => d.channel === RP && d.data.routingPoints[0].callsWaiting === 0, 5000, 'the empty queue');
  assert.equal(panels().length, 2, 'one panel when the interval ends');
});
