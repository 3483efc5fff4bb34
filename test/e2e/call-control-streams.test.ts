/**
 * Golden notification streams for issue 3, through REST and the official CometD client, among
 * three agents and an external customer: blind transfer, consult transfer, consult conference,
 * swap, and a transfer that fails. Each golden file holds every agent's whole stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E } from '../helpers/e2e.js';
import type { UserHandle } from '../helpers/e2e.js';
import { assertGolden } from '../helpers/golden.js';

const CUSTOMER = '+15551234567';

async function threeAgents(e: E2E): Promise<[UserHandle, UserHandle, UserHandle, string]> {
  const a = await e.user('agent1', { ready: true });
  const b = await e.user('agent2', { ready: true });
  const c = await e.user('agent3', { ready: true });
  const callId = await e.simCall(CUSTOMER, '5001', { Account: 'A-100' });
  await a.callEvent(callId, 'Ringing');
  await a.callOp(callId, 'Answer');
  await a.callEvent(callId, 'Established');
  return [a, b, c, callId];
}

/** a consults b from callId and b answers; returns the consultation call id */
async function answeredConsult(a: UserHandle, b: UserHandle, callId: string, op: 'InitiateTransfer' | 'InitiateConference'): Promise<string> {
  await a.callOp(callId, op, { destination: { phoneNumber: '5002' } });
  const ringing = await b.next((d) => d.data?.call?.state === 'Ringing', 'consult ringing');
  const consultId = ringing.data.call.id;
  await b.callOp(consultId, 'Answer');
  await a.callEvent(consultId, 'Established');
  return consultId;
}

function golden(e: E2E, name: string): void {
  const all = ['agent1', 'agent2', 'agent3'].map((u) => `"${u}": ${e.streamOf(u).trimEnd()}`).join(',\n');
  assertGolden(`e2e/${name}.json`, `{\n${all}\n}\n`);
}

async function scenario(name: string, body: (e: E2E) => Promise<void>): Promise<void> {
  const e = await E2E.start();
  try {
    await body(e);
    golden(e, name);
  } finally {
    await e.close();
  }
}

test('blind transfer: agent1 single-step transfers the customer to agent2', () =>
  scenario('blind-transfer', async (e) => {
    const [a, b, , callId] = await threeAgents(e);
    await a.callOp(callId, 'SingleStepTransfer', { destination: { phoneNumber: '5002' }, userData: { Reason: 'sales' } });
    await a.callEvent(callId, 'Released');
    await b.callEvent(callId, 'Ringing');
    await b.callOp(callId, 'Answer');
    const est = await b.callEvent(callId, 'Established');
    assert.deepEqual(est.call.userData, { Account: 'A-100', Reason: 'sales' });
    assert.deepEqual(est.call.participants.map((p: { phoneNumber: string }) => p.phoneNumber), [CUSTOMER]);
    await e.simHangup(callId);
    await b.callEvent(callId, 'Released');
  }));

test('consult transfer: InitiateTransfer to agent2, CompleteTransfer', () =>
  scenario('consult-transfer', async (e) => {
    const [a, b, , callId] = await threeAgents(e);
    await a.callOp(callId, 'InitiateTransfer', { destination: { phoneNumber: '5002' } });
    const held = await a.callEvent(callId, 'Held');
    assert.ok(held.call.capabilities.includes('CompleteTransfer'));
    const ringing = await b.next((d) => d.data?.call?.state === 'Ringing', 'consult ringing');
    const consultId = ringing.data.call.id;
    assert.equal(ringing.data.call.callType, 'Consult');
    assert.equal(ringing.data.call.parentCallPath, `/calls/${callId}`);
    await b.callOp(consultId, 'Answer');
    await a.callEvent(consultId, 'Established');
    await a.callOp(consultId, 'CompleteTransfer');
    await a.callEvent(callId, 'Released');
    await a.callEvent(consultId, 'Released');
    await b.callEvent(callId, 'Established');
    await b.callEvent(consultId, 'Released');
    assert.deepEqual((await a.get('/api/v2/me/calls')).uris, []);
    await b.callOp(callId, 'Hangup');
    await b.callEvent(callId, 'Released');
  }));

test('consult conference: InitiateConference to agent2, CompleteConference, agent3 joins by single-step, owner removes agent2', () =>
  scenario('consult-conference', async (e) => {
    const [a, b, c, callId] = await threeAgents(e);
    const consultId = await answeredConsult(a, b, callId, 'InitiateConference');
    await a.callOp(consultId, 'CompleteConference');
    await a.callEvent(consultId, 'Released');
    const conf = await a.callEvent(callId, 'Established');
    assert.deepEqual(conf.call.participants.map((p: { phoneNumber: string }) => p.phoneNumber), [CUSTOMER, '5002']);
    await b.callEvent(callId, 'Established');
    await a.callOp(callId, 'SingleStepConference', { destination: { phoneNumber: '5003' } });
    await c.callEvent(callId, 'Ringing');
    await c.callOp(callId, 'Answer');
    await c.callEvent(callId, 'Established');
    assert.deepEqual(Object.keys(await e.media(callId)).sort(), [CUSTOMER, '5001', '5002', '5003'].sort());
    await a.callOp(callId, 'RemoveParticipantFromConference', { participant: '5002' });
    await b.callEvent(callId, 'Released');
    await a.next((d) => d.data?.notificationType === 'ParticipantsUpdated' && d.data.call.participants.length === 2, 'agent2 removed');
    await c.callOp(callId, 'ClearCall');
    await a.callEvent(callId, 'Released');
    await c.callEvent(callId, 'Released');
  }));

test('swap: agent1 consults agent2 and alternates between the calls', () =>
  scenario('swap', async (e) => {
    const [a, b, , callId] = await threeAgents(e);
    const consultId = await answeredConsult(a, b, callId, 'InitiateTransfer');
    await a.callOp(consultId, 'SwapCalls', { otherCallUri: `${e.baseUrl}/api/v2/me/calls/${callId}` });
    await a.callEvent(callId, 'Established');
    await a.callEvent(consultId, 'Held');
    await a.callOp(callId, 'SwapCalls', { otherCallUri: `${e.baseUrl}/api/v2/me/calls/${consultId}` });
    await a.callEvent(consultId, 'Established');
    await a.callEvent(callId, 'Held');
    await b.callOp(consultId, 'Hangup');
    await a.callEvent(consultId, 'Released');
    await a.callOp(callId, 'Retrieve');
    await a.callEvent(callId, 'Established');
    await e.simHangup(callId);
    await a.callEvent(callId, 'Released');
  }));

test('a transfer that fails: agent2 busy, then in DND; the original call survives', () =>
  scenario('failed-transfer', async (e) => {
    const [a, b, c, callId] = await threeAgents(e);
    // agent2 is busy on a call with agent3
    const r = await b.post(`/api/v2/me/devices/${b.deviceId}/calls`, { operationName: 'Dial', destination: { phoneNumber: '5003' } });
    assert.equal(r.statusCode, 0);
    const dialing = await b.next((d) => d.data?.call?.state === 'Dialing', 'agent2 dialing');
    await c.callEvent(dialing.data.call.id, 'Ringing');
    await a.callOp(callId, 'InitiateTransfer', { destination: { phoneNumber: '5002' } });
    await a.callEvent(callId, 'Held');
    const err = await a.next((d) => d.data?.notificationType === 'Error', 'transfer error');
    assert.equal(err.data.errorCode, 1002);
    assert.match(err.data.errorMessage, /busy/);
    await a.callOp(callId, 'Retrieve');
    await a.callEvent(callId, 'Established');
    // a single-step transfer to a DND device fails the same way and leaves the call as it was
    await c.callOp(dialing.data.call.id, 'Reject');
    await b.callEvent(dialing.data.call.id, 'Released');
    assert.equal((await b.deviceOp('DoNotDisturbOn')).statusCode, 0);
    await b.next((d) => d.data?.messageType === 'DeviceStateChangeMessage' && d.data.devices[0].doNotDisturb === 'On', 'DND on');
    await a.callOp(callId, 'SingleStepTransfer', { destination: { phoneNumber: '5002' } });
    const dnd = await a.next((d) => d.data?.notificationType === 'Error', 'DND error');
    assert.equal(dnd.data.errorCode, 1003);
    assert.equal(dnd.data.call.state, 'Established');
    await a.callOp(callId, 'Hangup');
    await a.callEvent(callId, 'Released');
  }));
