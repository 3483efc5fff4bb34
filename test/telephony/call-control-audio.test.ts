/**
 * Supervision through conferences, consult transfers and two supervisors, with real phones
 * (shared/spec/supervision.md section 10 rows 12, 9 and 8; the runner and its checks are
 * scenario.ts): five baresip phones — customer 440 Hz, agent1 5001 1000 Hz, supervisor1 5101
 * 1800 Hz (PCMA), agent2 5002 2400 Hz, supervisor2 5102 2900 Hz — on one customer call, in a contact
 * center with `supervision.maxSupervisorsPerAgent` 2:
 *   row 12: both supervisors listen on agent1 (the second is allowed), supervisor1 barges in, and
 *           supervisor2's SwitchToBargeIn is refused with statusCode 19 while supervisor1 is barged in
 *           (nothing changes in anyone's ear); supervisor1 coaches, and supervisor2 hears the coach
 *           (supervision.md section 5 rule 2) while the customer does not; supervisor1 barges in
 *           again; supervisor2 leaves;
 *   row 9:  supervisor1 barged in, agent1 consults agent2 (InitiateConference; the customer's call
 *           held, so the customer hears only the supervisor) and completes the conference: four
 *           parties, everyone hears everyone;
 *   row 8:  agent2 leaves, supervisor1 back to ListenIn, agent1 consult-transfers the customer to
 *           agent2 (InitiateTransfer, CompleteTransfer): supervisor1 (Call scope) stays on the call and
 *           hears the customer and agent2.
 * At every step each phone hears exactly GET /sim/v1/calls/{callUuid}/media of the call its leg
 * follows (the consultation call, for the consulting agent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arm } from '../helpers/supervision-steps.js';
import { BARGE_IN, LISTEN_IN, callNotice, runScenario, supervisorOp } from './scenario.js';
import type { Matrix, Step, World } from './scenario.js';

const BOTH_LISTEN: Matrix = { C: ['A'], A: ['C'], S: ['C', 'A'], S2: ['C', 'A'] };
/** S barged in, S2 listening: a listening supervisor hears everyone who speaks, the barged-in supervisor too */
const S_BARGED_S2_LISTENS: Matrix = { C: ['A', 'S'], A: ['C', 'S'], S: ['C', 'A'], S2: ['C', 'A', 'S'] };
/** S coaching, S2 listening: the agent and the other supervisor hear the coach, the customer does not */
const S_COACHES_S2_LISTENS: Matrix = { C: ['A'], A: ['C', 'S'], S: ['C', 'A'], S2: ['C', 'A', 'S'] };
const ALL_FOUR: Matrix = { C: ['A', 'S', 'B'], A: ['C', 'S', 'B'], B: ['C', 'A', 'S'], S: ['C', 'A', 'B'] };
const A_AND_B: Matrix = { A: ['B'], B: ['A'] };

function listenIn(role: 'S' | 'S2'): Step['act'] {
  return async ({ e, user, call }) => {
    await arm(e, user(role), 'ListenIn', { agent: user('A') }, { scope: 'Call' });
    await callNotice(user(role), call, (m) => m.call.state === 'Established' && m.call.monitoring === true, 'the monitoring leg joins');
  };
}

/** agent1 starts a consultation with agent2 (transfer or conference) and agent2 answers it */
function consultB(operationName: 'InitiateTransfer' | 'InitiateConference'): Step['act'] {
  return async (world: World) => {
    const { user, call } = world;
    await user('A').callOp(call, operationName, { destination: { phoneNumber: world.number.B } });
    const ringing = (await user('B').client.events.next((d) => d.data?.call?.state === 'Ringing' && d.data.call.id !== call, 10_000, 'agent2: the consultation rings')) as {
      data: { call: { id: string } };
    };
    world.consult = ringing.data.call.id;
    await user('B').callOp(world.consult, 'Answer');
    await callNotice(user('A'), world.consult, (m) => m.call.state === 'Established', 'the consultation is established');
  };
}

function complete(operationName: 'CompleteTransfer' | 'CompleteConference'): Step['act'] {
  return async (world: World) => {
    const { user, call } = world;
    const consult = world.consult;
    assert.ok(consult, 'no consultation call to complete');
    await user('A').callOp(consult, operationName);
    await callNotice(user('B'), call, (m) => m.call.state === 'Established', `agent2 on the customer's call after ${operationName}`);
    world.consult = undefined;
  };
}

const STEPS: Step[] = [
  { name: 'A and C', act: async () => undefined, matrix: { C: ['A'], A: ['C'] } },
  { name: 'S listens', act: listenIn('S'), matrix: LISTEN_IN },
  { name: 'S2 listens too (row 12)', act: listenIn('S2'), matrix: BOTH_LISTEN },
  { name: 'S barges in', act: supervisorOp('SwitchToBargeIn'), matrix: S_BARGED_S2_LISTENS },
  {
    name: 'S2 SwitchToBargeIn refused',
    act: async ({ e, user, call }) => {
      const s2 = user('S2');
      const reply = await e.fetchJson('POST', `/api/v2/me/calls/${call}`, s2.auth, { operationName: 'SwitchToBargeIn' });
      assert.equal(reply.json.statusCode, 19, `a second supervisor's SwitchToBargeIn while the first is barged in: ${JSON.stringify(reply.json)}`);
    },
    matrix: S_BARGED_S2_LISTENS,
  },
  { name: 'S coaches: S2 hears the coach, C does not', act: supervisorOp('SwitchToCoach'), matrix: S_COACHES_S2_LISTENS },
  { name: 'S barges in again', act: supervisorOp('SwitchToBargeIn'), matrix: S_BARGED_S2_LISTENS },
  {
    name: 'S2 leaves',
    act: async ({ user, call }) => {
      const reply = await user('S2').deviceOp('CancelSupervisorMonitoring');
      assert.equal(reply.statusCode, 0, JSON.stringify(reply));
      await callNotice(user('S2'), call, (m) => m.call.state === 'Released', 'the second monitoring leg released');
    },
    matrix: BARGE_IN,
  },
  // row 9: the customer's call is held while agent1 consults, so only the supervisor talks with the customer
  { name: 'A consults B (conference)', act: consultB('InitiateConference'), matrix: { C: ['S'], A: [], S: ['C'] }, consult: A_AND_B },
  { name: 'CompleteConference: four', act: complete('CompleteConference'), matrix: ALL_FOUR },
  {
    name: 'B leaves the conference',
    act: async ({ user, call }) => {
      await user('B').callOp(call, 'Hangup');
      await callNotice(user('B'), call, (m) => m.call.state === 'Released', 'agent2 released from the conference');
    },
    matrix: BARGE_IN,
  },
  { name: 'S back to ListenIn', act: supervisorOp('SwitchToListenIn'), matrix: LISTEN_IN },
  // row 8, Call scope: the supervisor follows the customer's call to agent2
  { name: 'A consults B (transfer)', act: consultB('InitiateTransfer'), matrix: { C: [], A: [], S: ['C'] }, consult: A_AND_B },
  { name: 'CompleteTransfer: S stays', act: complete('CompleteTransfer'), matrix: { C: ['B'], B: ['C'], S: ['C', 'B'] } },
];

test('two supervisors, a conference with a barged-in supervisor and a consult transfer followed in Call scope: every phone hears what GET media says', { timeout: 150_000 }, () =>
  runScenario({ more: ['S', 'B', 'S2'], steps: STEPS, holdAudio: 'silence', hangsUp: 'B', supervision: { maxSupervisorsPerAgent: 2 } }));
