/**
 * Rows 10, 11, 14, 15 and 16 of shared/spec/supervision.md section 10, written once
 * (./supervision-scenarios.ts says how scenarios run on the single-node and the three-node
 * harness): MuteMonitoredUser, CancelSupervisorMonitoring during a call, the agent or the
 * supervisor ending their contact-center session, the supervisor hanging up its leg, and
 * hold/retrieve under ListenIn and BargeIn. Each step checks every party's notifications, the
 * media matrix and the audit.
 */
import assert from 'node:assert/strict';
import type { E2E, UserHandle } from './e2e.js';
import type { Scenario } from './supervision-scenarios.js';
import {
  A, C, C2, RP, S,
  arm, checkArmedDevice, expectArmed, expectAudit, expectCall, expectDisarmed, expectLeg, expectMedia,
  getDevice, isDevice, leg, nothingElse, ref, refused, ringAndAnswer,
} from './supervision-steps.js';

/** S barged in on A's call with C (by intrusion); returns the call id */
async function bargedIn(e: E2E, s: UserHandle, a: UserHandle): Promise<string> {
  const call = await ringAndAnswer(e, a, C, RP);
  await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false });
  await arm(e, s, 'BargeIn', { phoneNumber: A });
  await expectLeg(s, leg('BargeIn', [C, A], A), 'barges in at once');
  await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
  await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false });
  await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn');
  return call;
}

/** S armed ListenIn on idle A, then A answers C: returns the call id */
async function listenedIn(e: E2E, s: UserHandle, a: UserHandle): Promise<string> {
  await arm(e, s, 'ListenIn', { agent: a });
  await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
  const call = await ringAndAnswer(e, a, C, RP);
  await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
  await expectLeg(s, leg('ListenIn', [C, A], A));
  await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');
  return call;
}

const row10: Scenario = {
  title: 'row 10: BargeIn + MuteMonitoredUser: C stops hearing A, S still hears A; Unmute restores',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await bargedIn(e, s, a);

    await s.callOp(call, 'MuteMonitoredUser');
    await expectCall(
      s, call,
      leg('BargeIn', [C, A], A, { notificationType: 'MonitoredUserMutedStateChange', monitoredUserMuted: true, has: ['UnmuteMonitoredUser', 'SwitchToListenIn'], lacks: ['MuteMonitoredUser'] }),
      'agent muted',
    );
    await expectMedia(e, call, { [C]: [S], [A]: [C, S], [S]: [C, A] }, 'BargeIn + MuteMonitoredUser');
    await nothingElse(a); // the agent's view of the call does not change
    await refused(e, s, `/api/v2/me/calls/${call}`, { operationName: 'MuteMonitoredUser' }, 2, 400, /UnmuteMonitoredUser/);

    await s.callOp(call, 'UnmuteMonitoredUser');
    await expectCall(s, call, leg('BargeIn', [C, A], A, { notificationType: 'MonitoredUserMutedStateChange' }), 'agent unmuted');
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn again');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', monitoring: true, monitoredUserMuted: false });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `MonitoredUserMuted BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `MonitoredUserUnmuted BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row11: Scenario = {
  title: 'row 11: CancelSupervisorMonitoring during a monitored call: S released, configuration removed',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await listenedIn(e, s, a);

    const r = await e.fetchJson('POST', `/api/v2/me/devices/${s.deviceId}`, s.auth, { operationName: 'CancelSupervisorMonitoring' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { statusCode: 0 });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true }, 'leg released by the cancel');
    await expectDisarmed(s, 'cancelled');
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false }, 'no longer listened in');
    await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'A and C, no supervisor');
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s))));
    await refused(e, s, `/api/v2/me/devices/${s.deviceId}`, { operationName: 'CancelSupervisorMonitoring' }, 2, 400, /no supervisor monitoring is configured/);

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C] });
    const next = await ringAndAnswer(e, a, C2, RP);
    await expectCall(a, next, { state: 'Established', participants: [C2], supervisorListeningIn: false }, 'not monitored any more');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} Cancelled`,
      `Cancelled ListenIn/AllCalls/Call 5101->5001 Cancelled`,
    ], opts.auditQuery);
  },
};

const row14: Scenario = {
  title: 'row 14: A ends its contact-center session while monitored: S released, configuration removed, S notified',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await listenedIn(e, s, a);

    await a.do('/api/v2/me', { operationName: 'EndContactCenterSession' });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true }, 'the agent left');
    await expectDisarmed(s, 'the agent ended its session');
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s))));
    const media = await e.media(call);
    assert.ok(!(S in media), `S is off the call: ${JSON.stringify(media)}`);
    // the agent's own stream: the supervisor is gone from its call, its device is logged out
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false }, 'no longer listened in');
    const inactive = await a.next(isDevice, 'device after EndContactCenterSession');
    assert.equal(inactive.data.devices[0].deviceState, 'Inactive', JSON.stringify(inactive.data));
    await nothingElse(s);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} SessionEnded`,
      `Cancelled ListenIn/AllCalls/Call 5101->5001 SessionEnded`,
    ], opts.auditQuery);
  },
};

const row14supervisor: Scenario = {
  title: 'row 14 (supervisor side): S ends its contact-center session while monitoring: S released, A\'s call goes on',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await bargedIn(e, s, a);

    await s.do('/api/v2/me', { operationName: 'EndContactCenterSession' });
    await expectCall(s, call, { state: 'Released', monitoring: true }, 'S left');
    const d = await s.next(isDevice, 'device after EndContactCenterSession');
    const dev = d.data.devices[0];
    assert.equal(dev.deviceState, 'Inactive', JSON.stringify(dev));
    assert.ok(!('supervisorMonitoringState' in dev), JSON.stringify(dev));
    assert.ok(!dev.capabilities.includes('CancelSupervisorMonitoring'), JSON.stringify(dev));
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C] }, 'S gone');
    await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'A and C go on');
    await nothingElse(a);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} SessionEnded`,
      `Cancelled BargeIn/AllCalls/Call 5101->5001 SessionEnded`,
    ], opts.auditQuery);
  },
};

const row15: Scenario = {
  title: 'row 15: S hangs up its leg: the A-C call goes on, both still hear each other; S stays armed (AllCalls)',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await bargedIn(e, s, a);

    await s.callOp(call, 'Hangup');
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true }, 'S hung up');
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C], supervisorListeningIn: false }, 'S left the call');
    await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'A and C go on');
    checkArmedDevice(e, s, await getDevice(e, s), { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a }, 'still armed');
    await nothingElse(s, a);

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C] });
    const next = await ringAndAnswer(e, a, C2, A);
    await expectCall(a, next, { notificationType: 'StatusChange', state: 'Established', participants: [C2, S] }, 'monitored again');
    await expectLeg(s, leg('BargeIn', [C2, A], A), 'joins the next call');
    await expectMedia(e, next, { [C2]: [A, S], [A]: [C2, S], [S]: [C2, A] }, 'BargeIn on the next call');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} SupervisorHungUp`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(next)}`,
    ], opts.auditQuery);
  },
};

const row16: Scenario = {
  title: 'row 16: A holds and retrieves with S in ListenIn and with S in BargeIn',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await listenedIn(e, s, a);

    await a.callOp(call, 'Hold');
    await expectCall(a, call, { state: 'Held', participants: [C], supervisorListeningIn: true, has: ['Retrieve'] });
    await expectMedia(e, call, { [C]: [], [A]: [], [S]: [C] }, 'ListenIn, A holds');
    await a.callOp(call, 'Retrieve');
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn after retrieve');

    await s.callOp(call, 'SwitchToBargeIn');
    await expectCall(s, call, leg('BargeIn', [C, A], A), 'SwitchToBargeIn');
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a }, 'SwitchToBargeIn');
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false });
    await a.callOp(call, 'Hold');
    await expectCall(a, call, { state: 'Held', participants: [C, S] });
    await expectMedia(e, call, { [C]: [S], [A]: [], [S]: [C] }, 'BargeIn, A holds: C and S still hear each other');
    await a.callOp(call, 'Retrieve');
    await expectCall(a, call, { state: 'Established', participants: [C, S] });
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn after retrieve');
    await nothingElse(s, a); // the supervisor's view does not change with the agent's hold

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released' });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

/** rows 10, 11, 14 (both sides), 15 and 16 */
export const CONTROL_SCENARIOS = { row10, row11, row14, row14supervisor, row15, row16 } as const;
