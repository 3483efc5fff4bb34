/**
 * Supervision with real phones (issue 8 point 6; shared/spec/supervision.md sections 5 and 10, sip.md
 * section 6): Switchboard in this process on free ports (HTTP, SIP, RTP: AppDeps.sipEphemeralPorts),
 * four baresip phones each playing its own tone — customer 440 Hz (PCMU, unregistered, dials routing point 7000 through the
 * demo's loopback trunk), agent1 5001 1000 Hz (PCMU), supervisor1 5101 1800 Hz (PCMA, so the mixer
 * transcodes), agent2 5002 2400 Hz (PCMU) — registered with password demo and auto-answering their
 * nailed-up legs. GWS REST and the official CometD client drive the scenario: agents Ready, the
 * customer dials, agent1 answers through GWS, then ListenIn, every mode switch, hold in ListenIn and
 * in BargeIn, MuteMonitoredUser, CancelSupervisorMonitoring and a Call-scope transfer to agent2.
 *
 * At every step the test waits for the CometD notification, checks GET /sim/v1/calls/{callUuid}/media
 * against section 5's table, lets the audio flow, and afterwards proves with Goertzel on every
 * phone's recording that in that window each phone heard exactly the parties the server's matrix
 * says, each recording's timeline corrected by the ticks the mixer itself reports as skipped (a phone
 * off the call must hear silence; nobody hears their own tone; a party of the call that hears nobody
 * gets the hold audio: silence with the demo's holdAudio, only the 620 Hz hold tone in the
 * second, shorter test, where the contact center says holdAudio "tone").
 * Bounded: every wait has a timeout; the phones are killed by PID and the app closed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arm } from '../helpers/supervision-steps.js';
import { BARGE_IN, COACH, LISTEN_IN, agentHolds, callNotice, runScenario, supervisorOp } from './scenario.js';
import type { Step } from './scenario.js';

const B = '5002';

const SUPERVISION_STEPS: Step[] = [
  { name: 'A and C', act: async () => undefined, matrix: { C: ['A'], A: ['C'] } },
  {
    name: 'ListenIn',
    act: async ({ e, user, call }) => {
      await arm(e, user('S'), 'ListenIn', { agent: user('A') }, { scope: 'Call' });
      await callNotice(user('S'), call, (m) => m.call.state === 'Established' && m.call.monitoring === true, 'the monitoring leg joins');
    },
    matrix: LISTEN_IN,
  },
  { name: 'SwitchToBargeIn', act: supervisorOp('SwitchToBargeIn'), matrix: BARGE_IN },
  { name: 'SwitchToCoach', act: supervisorOp('SwitchToCoach'), matrix: COACH },
  { name: 'SwitchToListenIn', act: supervisorOp('SwitchToListenIn'), matrix: LISTEN_IN },
  { name: 'ListenIn, A holds', act: agentHolds('Held'), matrix: { C: [], A: [], S: ['C'] } },
  { name: 'ListenIn, A retrieves', act: agentHolds('Established'), matrix: LISTEN_IN },
  { name: 'BargeIn again', act: supervisorOp('SwitchToBargeIn'), matrix: BARGE_IN },
  { name: 'BargeIn, A holds', act: agentHolds('Held'), matrix: { C: ['S'], A: [], S: ['C'] } },
  { name: 'BargeIn, A retrieves', act: agentHolds('Established'), matrix: BARGE_IN },
  { name: 'BargeIn + MuteMonitoredUser', act: supervisorOp('MuteMonitoredUser'), matrix: { C: ['S'], A: ['C', 'S'], S: ['C', 'A'] } },
  { name: 'UnmuteMonitoredUser', act: supervisorOp('UnmuteMonitoredUser'), matrix: BARGE_IN },
  {
    name: 'CancelSupervisorMonitoring',
    act: async ({ user, call }) => {
      const reply = await user('S').deviceOp('CancelSupervisorMonitoring');
      assert.equal(reply.statusCode, 0, JSON.stringify(reply));
      await callNotice(user('S'), call, (m) => m.call.state === 'Released', 'the monitoring leg released');
    },
    matrix: { C: ['A'], A: ['C'] },
  },
  {
    name: 'ListenIn (Call scope) again',
    act: async ({ e, user, call }) => {
      await arm(e, user('S'), 'ListenIn', { agent: user('A') }, { scope: 'Call' });
      await callNotice(user('S'), call, (m) => m.call.state === 'Established' && m.call.monitoring === true, 'the monitoring leg joins again');
    },
    matrix: LISTEN_IN,
  },
  {
    name: 'A transfers C to B: B rings',
    act: async ({ user, call }) => {
      await user('A').callOp(call, 'SingleStepTransfer', { destination: { phoneNumber: B } });
      await callNotice(user('B'), call, (m) => m.call.state === 'Ringing', 'the transferred call rings');
    },
    matrix: { C: [], B: [], S: ['C'] },
  },
  {
    name: 'B answers, S follows the call',
    act: async ({ user, call }) => {
      await user('B').callOp(call, 'Answer');
      await callNotice(user('B'), call, (m) => m.call.state === 'Established', 'B established');
    },
    matrix: { C: ['B'], B: ['C'], S: ['C', 'B'] },
  },
];

test('what every real phone hears equals GET /sim/v1/calls/{callUuid}/media at every supervision step', { timeout: 120_000 }, () =>
  runScenario({ more: ['S', 'B'], steps: SUPERVISION_STEPS, holdAudio: 'silence', hangsUp: 'B' }));

test('holdAudio "tone": while the agent holds, the customer hears only the hold tone; Hangup through GWS sends BYE', { timeout: 60_000 }, () =>
  runScenario({
    more: [],
    steps: [
      { name: 'A and C', act: async () => undefined, matrix: { C: ['A'], A: ['C'] } },
      { name: 'A holds', act: agentHolds('Held'), matrix: { C: [], A: [] } },
      { name: 'A retrieves', act: agentHolds('Established'), matrix: { C: ['A'], A: ['C'] } },
    ],
    holdAudio: 'tone',
    hangsUp: 'A',
  }));
