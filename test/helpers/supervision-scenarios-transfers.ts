/**
 * Rows 6-9 of shared/spec/supervision.md section 10, written once (./supervision-scenarios.ts says
 * how scenarios run on the single-node and the three-node harness): the monitored agent transfers or
 * conferences while a supervisor is on the call. Agent scope releases the supervisor with the agent;
 * Call scope follows the call to the new agent; a conference shows four parties. Each step checks
 * every party's notifications, the media matrix (section 5) and the audit.
 */
import assert from 'node:assert/strict';
import type { Scenario } from './supervision-scenarios.js';
import {
  A, B, C, C2, RP, S,
  arm, checkArmedDevice, expectArmed, expectAudit, expectCall, expectLeg, expectMedia, expectNoCall,
  getDevice, isCall, leg, nothingElse, ref, ringAndAnswer,
} from './supervision-steps.js';

const row6: Scenario = {
  title: 'row 6: Agent scope, A single-step transfers C to B: S released, still armed for A; A\'s next call is monitored',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const b = await e.user('agent2', { ready: true });
    await arm(e, s, 'ListenIn', { agent: a }, { scope: 'Agent' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Agent', target: a });

    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, leg('ListenIn', [C, A], A));
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');

    await a.callOp(call, 'SingleStepTransfer', { destination: { phoneNumber: B } });
    await expectCall(a, call, { state: 'Released', participants: [C, B], supervisorListeningIn: false }, 'A transferred');
    await expectCall(s, call, { state: 'Released', monitoring: true }, 'Agent scope: S leaves with A');
    await expectCall(b, call, { state: 'Ringing', participants: [C], supervisorListeningIn: false, has: ['Answer'] }, 'transferred to B');
    await expectMedia(e, call, { [C]: [], [B]: [] }, 'B rings, no supervisor');
    await b.callOp(call, 'Answer');
    await expectCall(b, call, { state: 'Established', participants: [C], supervisorListeningIn: false }, 'B answered, not monitored');
    await expectMedia(e, call, { [C]: [B], [B]: [C] }, 'B and C, no supervisor');
    checkArmedDevice(e, s, await getDevice(e, s), { state: 'ListenIn', mode: 'AllCalls', scope: 'Agent', target: a }, 'still armed for A');

    await e.simHangup(call);
    await expectCall(b, call, { state: 'Released', participants: [C] });
    const next = await ringAndAnswer(e, a, C2, A);
    await expectCall(a, next, { state: 'Established', participants: [C2], supervisorListeningIn: true }, 'A\'s next call');
    const joined = await expectLeg(s, leg('ListenIn', [C2, A], A), 'monitors A\'s next call');
    assert.equal(joined.call.id, next);
    await expectMedia(e, next, { [C2]: [A], [A]: [C2], [S]: [C2, A] }, 'ListenIn on A\'s next call');
    await nothingElse(s, a, b);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Agent 5101->5001`,
      `Joined ListenIn/AllCalls/Agent 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Agent 5101->5001 agent=5001 ${ref(call)} AgentLeft`,
      `Joined ListenIn/AllCalls/Agent 5101->5001 agent=5001 ${ref(next)}`,
    ], opts.auditQuery);
  },
};

const row7: Scenario = {
  title: 'row 7: Call scope, A single-step transfers C to B: S stays, now with B and C, and hears both; A\'s new calls are skipped meanwhile',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const b = await e.user('agent2', { ready: true });
    await arm(e, s, 'ListenIn', { phoneNumber: A }, { scope: 'Call' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, leg('ListenIn', [C, A], A));

    await a.callOp(call, 'SingleStepTransfer', { destination: { phoneNumber: B } });
    await expectCall(a, call, { state: 'Released', participants: [C, B] }, 'A transferred');
    await expectCall(s, call, { ...leg('ListenIn', [C, B], B), notificationType: 'ParticipantsUpdated' }, 'S follows the call to B');
    await expectCall(b, call, { state: 'Ringing', participants: [C], has: ['Answer'] }, 'transferred to B');
    await expectMedia(e, call, { [C]: [], [B]: [], [S]: [C] }, 'B rings; S hears C');
    await b.callOp(call, 'Answer');
    await expectCall(b, call, { state: 'Established', participants: [C], supervisorListeningIn: true }, 'B answered, listened in');
    await expectMedia(e, call, { [C]: [B], [B]: [C], [S]: [C, B] }, 'ListenIn with B');
    checkArmedDevice(e, s, await getDevice(e, s), { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a }, 'configuration unchanged');

    // while S follows that call, A's new call is skipped (S busy)
    const other = await ringAndAnswer(e, a, C2, A);
    await expectCall(a, other, { state: 'Established', participants: [C2], supervisorListeningIn: false }, 'skipped: S busy');
    await expectMedia(e, other, { [C2]: [A], [A]: [C2] }, 'A\'s new call is not monitored');
    await nothingElse(s, a, b);

    await e.simHangup(call);
    await expectCall(b, call, { state: 'Released', participants: [C] });
    await expectCall(s, call, { state: 'Released', participants: [C, B], monitoring: true, dnis: B });
    await expectNoCall(e, call);
    await nothingElse(s, b);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Skipped ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(other)} SupervisorBusy`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5002 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row8: Scenario = {
  title: 'row 8: Call scope, A consult-transfers C to B (InitiateTransfer, CompleteTransfer): S stays on the call with B',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const b = await e.user('agent2', { ready: true });
    await arm(e, s, 'ListenIn', { agent: a });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, leg('ListenIn', [C, A], A));

    await a.callOp(call, 'InitiateTransfer', { destination: { phoneNumber: B } });
    await expectCall(a, call, { state: 'Held', participants: [C], supervisorListeningIn: true, has: ['CompleteTransfer'] }, 'A consults');
    const dialing = await a.next((d) => isCall()(d) && d.data.call.callType === 'Consult', 'the consultation call');
    const consult = dialing.data.call.id;
    assert.notEqual(consult, call);
    assert.equal(dialing.data.call.state, 'Dialing');
    await expectCall(b, consult, { state: 'Ringing', callType: 'Consult', participants: [A] }, 'consultation rings at B');
    await expectMedia(e, call, { [C]: [], [A]: [], [S]: [C] }, 'ListenIn, A holds');
    await b.callOp(consult, 'Answer');
    await expectCall(b, consult, { state: 'Established', callType: 'Consult', participants: [A], supervisorListeningIn: false });
    await expectCall(a, consult, { state: 'Established', callType: 'Consult', participants: [B], has: ['CompleteTransfer'] });
    await expectCall(a, call, { state: 'Held', participants: [C], supervisorListeningIn: true, has: ['CompleteTransfer', 'CompleteConference'] }, 'B answered: capabilities of the held call');
    await expectMedia(e, consult, { [A]: [B], [B]: [A] }, 'the consultation is not monitored');

    await a.callOp(consult, 'CompleteTransfer');
    await expectCall(a, call, { state: 'Released' }, 'A leaves the original call');
    await expectCall(a, consult, { state: 'Released' }, 'the consultation ends');
    await expectCall(b, consult, { state: 'Released' });
    await expectCall(b, call, { state: 'Established', callType: 'Inbound', participants: [C], supervisorListeningIn: true }, 'B takes the original call');
    await expectCall(s, call, { ...leg('ListenIn', [C, B], B), notificationType: 'ParticipantsUpdated' }, 'S follows the call to B');
    await expectMedia(e, call, { [C]: [B], [B]: [C], [S]: [C, B] }, 'ListenIn with B');

    await e.simHangup(call);
    await expectCall(b, call, { state: 'Released', participants: [C] });
    await expectCall(s, call, { state: 'Released', participants: [C, B], monitoring: true });
    await nothingElse(s, a, b);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5002 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row9: Scenario = {
  title: 'row 9: S barged in; A conferences B in: four parties, everyone hears everyone',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const b = await e.user('agent2', { ready: true });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C] });
    await arm(e, s, 'BargeIn', { agent: a });
    await expectLeg(s, leg('BargeIn', [C, A], A), 'barges in at once');
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S] });
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn');

    await a.callOp(call, 'InitiateConference', { destination: { phoneNumber: B } });
    await expectCall(a, call, { state: 'Held', participants: [C, S] }, 'A consults');
    const dialing = await a.next((d) => isCall()(d) && d.data.call.callType === 'Consult', 'the consultation call');
    const consult = dialing.data.call.id;
    await expectMedia(e, call, { [C]: [S], [A]: [], [S]: [C] }, 'BargeIn, A holds');
    await expectCall(b, consult, { state: 'Ringing', callType: 'Consult', participants: [A] });
    await b.callOp(consult, 'Answer');
    await expectCall(b, consult, { state: 'Established', callType: 'Consult' });
    await expectCall(a, consult, { state: 'Established', callType: 'Consult', has: ['CompleteConference'] });
    await expectCall(a, call, { state: 'Held', participants: [C, S], has: ['CompleteConference'] }, 'B answered: capabilities of the held call');

    await a.callOp(consult, 'CompleteConference');
    await expectCall(a, consult, { state: 'Released' });
    await expectCall(b, consult, { state: 'Released' });
    await expectCall(a, call, { state: 'Established', participants: [C, S, B], has: ['ClearCall'] }, 'conference');
    await expectCall(b, call, { state: 'Established', callType: 'Inbound', participants: [C, A, S], supervisorListeningIn: false }, 'B joins, sees the barged-in S');
    await expectCall(s, call, { ...leg('BargeIn', [C, A, B], A), notificationType: 'ParticipantsUpdated' }, 'S sees B join');
    await expectMedia(e, call, { [C]: [A, S, B], [A]: [C, S, B], [S]: [C, A, B], [B]: [C, A, S] }, 'four parties, BargeIn');

    await a.callOp(call, 'ClearCall');
    await expectCall(a, call, { state: 'Released' });
    await expectCall(b, call, { state: 'Released' });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await nothingElse(s, a, b);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

/** rows 6-9, by row */
export const TRANSFER_SCENARIOS = { row6, row7, row8, row9 } as const;
