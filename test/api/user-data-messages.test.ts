/**
 * Messages written from the last ones when only a call's user data changed (a leg's view: the
 * switch's core.ts flushUserData; a team row: team-notifier.ts userDataRow) are what a full read
 * gives at that moment. Over a fixed random sequence of user data changes mixed with
 * everything else a row or a call shows (the clock moving, hold, mute, recording, the supervisor's
 * mode, the agent's state; a user-data change and another change in one job; a second call), every
 * row published on /v2/supervision/agents for the agent equals its row in GET
 * /api/v2/supervision/agents, and the call in the last CallStateChangeMessage of each call to the
 * agent or the supervisor in a step equals that user's GET /api/v2/me/calls/{id} (an earlier message
 * of a step with two changes shows the state between them), read in the same job on the same
 * (virtual) clock. A load of the contact center that changes what a row shows (renamed agent states,
 * the same user records) makes the next user-data change read the row again, and so does a change
 * made while no supervisor's session would receive the row (no row is rendered then).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { demoContactCenter } from '../../src/config/demo.js';
import type { CallOperation } from '../../src/switch/port.js';
import { Api, basic } from './harness.js';

const AGENT_DN = '5001';
const SUPERVISOR = basic('supervisor1');

let api: Api;
/** the rows of agent1 published since the last step */
let published: unknown[] = [];
/** user name -> the calls of the CallStateChangeMessages published to that user since the last step */
let callMessages = new Map<string, { id: string }[]>();

before(async () => {
  api = await Api.start({ contactCenters: [demoContactCenter()] });
  const bayeux = api.app.bayeux;
  const publish = bayeux.publishToUser.bind(bayeux);
  bayeux.publishToUser = (user, channel, data) => {
    const row = (data as { agents?: { userName?: string }[] }).agents?.[0];
    if (channel === '/v2/supervision/agents' && row?.userName === 'agent1') published.push(JSON.parse(JSON.stringify(row)));
    if (channel === '/v2/me/calls') {
      const userName = api.app.directory.user(user)?.userName ?? user;
      const calls = callMessages.get(userName) ?? [];
      calls.push(JSON.parse(JSON.stringify((data as { call: { id: string } }).call)));
      callMessages.set(userName, calls);
    }
    publish(user, channel, data);
  };
});

after(() => api.close());

const nextJob = () => new Promise((resolve) => setImmediate(resolve));

/** the last message of each call to each user since the last step equals that call as its user reads it now */
async function compareCallMessages(label: string): Promise<number> {
  let compared = 0;
  for (const [userName, calls] of callMessages) {
    const last = new Map(calls.map((c) => [c.id, c]));
    for (const [id, call] of last) {
      const r = await api.get(`/api/v2/me/calls/${id}`, basic(userName));
      assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
      assert.deepEqual(call, r.json.call, `${label}: ${userName}'s call message`);
      compared++;
    }
  }
  callMessages = new Map();
  return compared;
}

async function rowRead(): Promise<unknown> {
  const r = await api.get('/api/v2/supervision/agents?fields=*', SUPERVISOR);
  assert.equal(r.json.statusCode, 0, JSON.stringify(r.json));
  return r.json.agents.find((a: { userName: string }) => a.userName === 'agent1');
}

test('every team row and call message of a user-data change equals what a read gives', async () => {
  await api.startSession('agent1', true);
  await api.startSession('supervisor1');
  // a team row is rendered only for a supervisor who would receive it: supervisor1's CometD session
  const teamSession = await api.cometd('supervisor1', '/v2/supervision/agents');
  const supervisorDevice = await api.deviceOf('supervisor1');
  await api.ok(`/api/v2/me/devices/${supervisorDevice.id}`, { operationName: 'ListenIn', phoneNumber: AGENT_DN, supervisorMonitoringMode: 'AllCalls' }, SUPERVISOR);
  const sw = api.app.switch;
  const call = sw.simulateInbound('+15550100001', AGENT_DN, { Origin: 'web' });
  assert.ok(call.ok);
  const uuid = call.value.callUuid;
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'Answer' }).ok);
  await nextJob();
  published = [];
  callMessages = new Map();

  let seed = 20261206;
  const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
  const keys = ['Step', 'Note', 'Order', 'Lang'];
  const userDataOp = (): CallOperation => {
    const choice = next(5);
    const key = keys[next(keys.length)];
    if (choice === 0) return { name: 'DeleteUserDataPair', key };
    if (choice === 1 && next(4) === 0) return { name: 'DeleteUserData' };
    if (choice === 2) return { name: 'AttachUserData', userData: { [key]: next(100) } };
    return { name: 'UpdateUserData', userData: { [key]: `v${next(1000)}`, Step: next(10) } };
  };
  // everything else a row or a call shows
  const others: [string, () => unknown][] = [
    ['hold', () => sw.callOperation(AGENT_DN, uuid, { name: 'Hold' })],
    ['retrieve', () => sw.callOperation(AGENT_DN, uuid, { name: 'Retrieve' })],
    ['mute', () => sw.callOperation(AGENT_DN, uuid, { name: 'MuteCall' })],
    ['unmute', () => sw.callOperation(AGENT_DN, uuid, { name: 'UnmuteCall' })],
    ['record', () => sw.callOperation(AGENT_DN, uuid, { name: 'StartCallRecording' })],
    ['stop recording', () => sw.callOperation(AGENT_DN, uuid, { name: 'StopCallRecording' })],
    ['barge in', () => sw.callOperation('5101', uuid, { name: 'SwitchToBargeIn' })],
    ['coach', () => sw.callOperation('5101', uuid, { name: 'SwitchToCoach' })],
    ['listen in', () => sw.callOperation('5101', uuid, { name: 'SwitchToListenIn' })],
    ['not ready', () => sw.setAgentState(AGENT_DN, { state: 'NotReady' })],
    ['ready', () => sw.setAgentState(AGENT_DN, { state: 'Ready' })],
  ];
  let compared = 0;
  let callsCompared = 0;
  let userDataSteps = 0;
  for (let step = 0; step < 240; step++) {
    let label: string;
    const kind = next(6);
    if (kind === 0) {
      const [name, run] = others[next(others.length)];
      label = name;
      run();
    } else if (kind === 1) {
      // a user-data change and something else in one job (one flush): the row is read in full
      const [name, run] = others[next(others.length)];
      const op = userDataOp();
      const first = next(2) === 0;
      label = first ? `${JSON.stringify(op)} then ${name}` : `${name} then ${JSON.stringify(op)}`;
      if (!first) run();
      sw.callOperation(AGENT_DN, uuid, op);
      if (first) run();
    } else {
      const op = userDataOp();
      label = JSON.stringify(op);
      // deleting a key the call does not have is refused, and changes nothing
      if (sw.callOperation(AGENT_DN, uuid, op).ok) userDataSteps++;
    }
    await nextJob();
    await teamSession.drain();
    const expected = await rowRead();
    for (const row of published) assert.deepEqual(row, expected, `step ${step} (${label})`);
    compared += published.length;
    published = [];
    callsCompared += await compareCallMessages(`step ${step} (${label})`);
    // time passes between steps: the row's timeInState and its call's duration move
    api.clock.advance(next(3) * 700);
  }
  assert.ok(userDataSteps > 80 && compared > 80 && callsCompared > 160, `${userDataSteps} user-data steps, ${compared} rows and ${callsCompared} call messages compared`);

  // the contact center loaded again with the same user and device records but renamed agent states:
  // the last row (kept before the load) shows the old names, so a user-data change after the load
  // must read the row again (team-notifier.ts userDataRow: a row kept under another load is not reused)
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'UpdateUserData', userData: { Step: 'before the load' } }).ok);
  await nextJob();
  published = [];
  callMessages = new Map();
  const { directory } = api.app;
  const loaded = directory.center(directory.userByName('agent1')!.contactCenterId)!;
  directory.load({
    contactCenter: loaded.record,
    users: [...loaded.users],
    devices: [...loaded.devices],
    places: [...loaded.places],
    agentGroups: [...loaded.agentGroups],
    agentStates: loaded.agentStates.map((s) => ({ ...s, displayName: `${s.displayName} (renamed)` })),
  });
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'UpdateUserData', userData: { Step: 'after the load' } }).ok);
  await nextJob();
  const reloaded = (await rowRead()) as { userState: { displayName: string } };
  assert.match(reloaded.userState.displayName, /\(renamed\)$/);
  assert.ok(published.length > 0, 'a row for the user-data change after the load');
  for (const row of published) assert.deepEqual(row, reloaded, 'the row after the load');
  published = [];
  await compareCallMessages('after the load');

  // nobody subscribed: no row is rendered for the agent's changes, and the last row is forgotten, so
  // after the supervisor subscribes again a user-data change reads the row (the agent state that
  // changed meanwhile reached no kept row)
  await teamSession.unsubscribe();
  const before = ((await rowRead()) as { userState: { state: string } }).userState.state;
  sw.setAgentState(AGENT_DN, { state: before === 'Ready' ? 'NotReady' : 'Ready' });
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'UpdateUserData', userData: { Step: 'unwatched' } }).ok);
  await nextJob();
  assert.deepEqual(published, [], 'no row while nobody would receive it');
  await teamSession.subscribe();
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'UpdateUserData', userData: { Step: 'watched again' } }).ok);
  await nextJob();
  const watchedAgain = (await rowRead()) as { userState: { state: string } };
  assert.notEqual(watchedAgain.userState.state, before);
  assert.ok(published.length > 0, 'a row for the change after subscribing again');
  for (const row of published) assert.deepEqual(row, watchedAgain, 'the row after subscribing again');
  published = [];
  await compareCallMessages('watched again');
  await teamSession.drain();

  // a second call on the agent (the first held, the supervisor back to listening), then user data on
  // the first: the row shows both calls, read in full
  sw.callOperation('5101', uuid, { name: 'SwitchToListenIn' });
  sw.callOperation(AGENT_DN, uuid, { name: 'Hold' });
  sw.setAgentState(AGENT_DN, { state: 'Ready' });
  await nextJob();
  const second = sw.simulateInbound('+15550100002', AGENT_DN, {});
  assert.ok(second.ok);
  await nextJob();
  published = [];
  callMessages = new Map();
  assert.ok(sw.callOperation(AGENT_DN, uuid, { name: 'UpdateUserData', userData: { Step: 'two calls' } }).ok);
  await nextJob();
  const expected = (await rowRead()) as { calls: unknown[] };
  assert.equal(expected.calls.length, 2, JSON.stringify(expected.calls));
  assert.ok(published.length > 0);
  for (const row of published) assert.deepEqual(row, expected, 'two calls');
  assert.ok((await compareCallMessages('two calls')) >= 2);
});
