/**
 * Rows 12, 13 and 17 of shared/spec/supervision.md section 10 and the arming refusals of section 1,
 * written once (./supervision-scenarios.ts says how scenarios run on the single-node and the
 * three-node harness): a second supervisor on the same agent (refused by default; listening
 * allowed with maxSupervisorsPerAgent 2, never two loud ones), the arming refusals (role, feature,
 * other contact center, groups), and routing-point monitoring following successive calls to the
 * agents who answer them. A scenario that needs other settings or contact centers says so in `start`.
 */
import assert from 'node:assert/strict';
import { ALL_FEATURES, Role } from '../../src/store/port.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import type { E2E } from './e2e.js';
import { defaultContactCenterSettings } from '../../src/config/defaults.js';
import type { Scenario } from './supervision-scenarios.js';
import {
  A, B, C, C2, RP, S, S2,
  arm, armBody, auditOf, expectArmed, expectAudit, expectCall, expectLeg, expectMedia, getDevice,
  leg, nothingElse, ref, refused, ringAndAnswer, ADMIN, DEMO_CAST, type Cast,
} from './supervision-steps.js';

/** supervisor1 barged in on agent1's answered call; supervisor2 has a session, not yet armed */
async function firstSupervisorBargedIn(e: E2E, { login, A, S, RP }: Cast = DEMO_CAST) {
  const s = await e.user(login('supervisor1'), { session: true });
  const s2 = await e.user(login('supervisor2'), { session: true });
  const a = await e.user(login('agent1'), { ready: true });
  const call = await ringAndAnswer(e, a, C, RP);
  await expectCall(a, call, { state: 'Established', participants: [C] });
  await arm(e, s, 'BargeIn', { phoneNumber: A });
  await expectLeg(s, leg('BargeIn', [C, A], A));
  await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
  await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S] });
  return { s, s2, a, call };
}

/** a second contact center: supB supervises agentB1 only; agentB2 is in no group */
export function branchCenter(): ContactCenterSpec {
  const user = (userName: string, dn: string, roles: Role[]) => ({ userName, password: 'demo', firstName: 'Branch', lastName: userName, roles, dn });
  return {
    name: 'Branch',
    features: [...ALL_FEATURES],
    settings: defaultContactCenterSettings(),
    agentStates: [],
    users: [
      user('agentB1', '6001', [Role.Agent]),
      user('agentB2', '6002', [Role.Agent]),
      user('supB', '6101', [Role.Agent, Role.Supervisor]),
      { userName: 'adminB', password: 'demo', roles: [Role.Admin] },
    ],
    routingPoints: [{ number: '7600', agentGroup: 'Branch team' }],
    agentGroups: [{ name: 'Branch team', agents: ['agentB1'], supervisors: ['supB'] }],
  };
}

const row12: Scenario = {
  title: 'row 12: a second supervisor arming on a monitored agent is refused with 19 by default',
  async run(e, opts = {}) {
    const { s, s2, a, call } = await firstSupervisorBargedIn(e);

    const path = `/api/v2/me/devices/${s2.deviceId}`;
    const want = /already monitored by supervisor 5101.*(cancel monitoring|maxSupervisorsPerAgent)/;
    await refused(e, s2, path, armBody(e, 'ListenIn', { phoneNumber: A }), 19, 409, want);
    await refused(e, s2, path, armBody(e, 'BargeIn', { agent: a }, { mode: 'NextCall' }), 19, 409, want);
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s2))), 'the refused supervisor is not armed');
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'only the first supervisor');
    await nothingElse(s, s2, a);
    await expectAudit(e, s2, [], opts.auditQuery);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
    ], opts.auditQuery);
  },
};

const row12max2: Scenario = {
  title: 'row 12: maxSupervisorsPerAgent 2: both listen; the second may not barge in while the first is barged in',
  start: { settings: { supervision: { maxSupervisorsPerAgent: 2 } } },
  async run(e, opts = {}) {
    const cast = opts.cast ?? DEMO_CAST;
    const { A, S, S2 } = cast;
    const { s, s2, a, call } = await firstSupervisorBargedIn(e, cast);

    await arm(e, s2, 'ListenIn', { agent: a });
    await expectLeg(s2, leg('ListenIn', [C, A, S], A), 'second supervisor listens, sees the first');
    await expectArmed(e, s2, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(s, call, { ...leg('BargeIn', [C, A, S2], A), notificationType: 'ParticipantsUpdated' }, 'the first sees the second');
    await expectCall(a, call, { state: 'Established', participants: [C, S], supervisorListeningIn: true }, 'listened in by S2');
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A], [S2]: [C, A, S] }, 'S barged in, S2 listening');

    const loud = /is already in BargeIn .*only one supervisor may coach or barge in/;
    await refused(e, s2, `/api/v2/me/calls/${call}`, { operationName: 'SwitchToBargeIn' }, 19, 409, loud);
    await refused(e, s2, `/api/v2/me/calls/${call}`, { operationName: 'SwitchToCoach' }, 19, 409, loud);
    await refused(e, s2, `/api/v2/me/devices/${s2.deviceId}`, armBody(e, 'BargeIn', { phoneNumber: A }), 19, 409, loud);
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A], [S2]: [C, A, S] }, 'refusals changed nothing');
    await nothingElse(s, s2, a);

    // once the first goes back to ListenIn, the second may barge in
    await s.callOp(call, 'SwitchToListenIn');
    await expectCall(s, call, leg('ListenIn', [C, A, S2], A), 'S back to ListenIn');
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a }, 'S back to ListenIn');
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C], supervisorListeningIn: true });
    await s2.callOp(call, 'SwitchToBargeIn');
    await expectCall(s2, call, leg('BargeIn', [C, A, S], A), 'S2 barges in');
    await expectArmed(e, s2, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a }, 'S2 barges in');
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S2], supervisorListeningIn: true });
    await expectMedia(e, call, { [C]: [A, S2], [A]: [C, S2], [S]: [C, A, S2], [S2]: [C, A] }, 'S listening, S2 barged in');
    await refused(e, s, `/api/v2/me/calls/${call}`, { operationName: 'SwitchToBargeIn' }, 19, 409, loud);

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released' });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await expectCall(s2, call, { state: 'Released', monitoring: true });
    await nothingElse(s, s2, a);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call ${S}->${A}`,
      `Joined BargeIn/AllCalls/Call ${S}->${A} agent=${A} ${ref(call)}`,
      `ModeChanged ListenIn/AllCalls/Call ${S}->${A} agent=${A} ${ref(call)}`,
      `Left ListenIn/AllCalls/Call ${S}->${A} agent=${A} ${ref(call)} CallEnded`,
    ], opts.auditQuery);
    await expectAudit(e, s2, [
      `Armed ListenIn/AllCalls/Call ${S2}->${A}`,
      `Joined ListenIn/AllCalls/Call ${S2}->${A} agent=${A} ${ref(call)}`,
      `ModeChanged BargeIn/AllCalls/Call ${S2}->${A} agent=${A} ${ref(call)}`,
      `Left BargeIn/AllCalls/Call ${S2}->${A} agent=${A} ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row13role: Scenario = {
  title: 'row 13: a caller without ROLE_SUPERVISOR is refused with 5',
  async run(e, opts = {}) {
    const a = await e.user('agent1', { ready: true });
    await e.user('agent2', { ready: true });
    const path = `/api/v2/me/devices/${a.deviceId}`;
    for (const op of ['ListenIn', 'Coach', 'BargeIn']) {
      await refused(e, a, path, armBody(e, op, { phoneNumber: B }), 5, 403, /needs the role ROLE_SUPERVISOR/);
    }
    await refused(e, a, path, { operationName: 'CancelSupervisorMonitoring' }, 5, 403, /ROLE_SUPERVISOR/);
    const dev = await getDevice(e, a);
    for (const op of ['ListenIn', 'Coach', 'BargeIn', 'CancelSupervisorMonitoring']) assert.ok(!dev.capabilities.includes(op), `agent device offers ${op}`);
    assert.ok(!('supervisorMonitoringState' in dev));
    await nothingElse(a);
    const r = await e.fetchJson('GET', '/api/v2/supervision/audit', a.auth);
    assert.equal(r.json.statusCode, 5, JSON.stringify(r.json));
    assert.equal(r.status, 403);
  },
};

const row13feature: Scenario = {
  title: 'row 13: a contact center without api-supervisor-monitoring refuses with 3',
  start: { features: ALL_FEATURES.filter((f) => f !== 'api-supervisor-monitoring') },
  async run(e, opts = {}) {
    const { login, A, B, RP } = opts.cast ?? DEMO_CAST;
    const s = await e.user(login('supervisor1'), { session: true });
    const a = await e.user(login('agent1'), { ready: true });
    const path = `/api/v2/me/devices/${s.deviceId}`;
    for (const op of ['ListenIn', 'Coach', 'BargeIn']) {
      await refused(e, s, path, armBody(e, op, { agent: a }), 3, 403, /needs feature 'api-supervisor-monitoring'.*not enabled/);
    }
    // the feature is checked before the role
    await refused(e, a, `/api/v2/me/devices/${a.deviceId}`, armBody(e, 'ListenIn', { phoneNumber: B }), 3, 403, /api-supervisor-monitoring/);
    const dev = await getDevice(e, s);
    for (const op of ['ListenIn', 'Coach', 'BargeIn']) assert.ok(!dev.capabilities.includes(op), `device offers ${op} without the feature`);
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false });
    await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'no supervisor');
    await nothingElse(s, a);
    await expectAudit(e, s, [], opts.auditQuery);
  },
};

const row13centers: Scenario = {
  title: 'row 13: a target in another contact center is 6 (like a missing one); a target outside the supervisor\'s groups is 5',
  start: { more: [branchCenter()] },
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const supB = await e.user('supB', { session: true });
    const b1 = await e.user('agentB1', { ready: true });
    await e.user('agentB2', { ready: true });
    const path = `/api/v2/me/devices/${s.deviceId}`;

    // another center's agent, by phone number and by device URI: exactly like unknown ones
    const byNumber = await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: '6001' }), 6, 404, /in your contact center/);
    const unknownNumber = await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: '5999' }), 6, 404, /in your contact center/);
    assert.equal(byNumber.replace('6001', 'X'), unknownNumber.replace('5999', 'X'));
    const byUri = await refused(e, s, path, armBody(e, 'BargeIn', { agent: b1 }), 6, 404, /in your contact center/);
    const missing = '00000000-0000-4000-8000-000000000000';
    const unknownUri = await refused(e, s, path, { operationName: 'BargeIn', targetDeviceUri: `${e.baseUrl}/api/v2/devices/${missing}` }, 6, 404, /in your contact center/);
    assert.equal(byUri.replace(b1.deviceId, 'X'), unknownUri.replace(missing, 'X'));
    await refused(e, supB, `/api/v2/me/devices/${supB.deviceId}`, armBody(e, 'ListenIn', { agent: a }), 6, 404, /in your contact center/);

    // an agent of the caller's center that is in no group the caller supervises
    await refused(e, supB, `/api/v2/me/devices/${supB.deviceId}`, armBody(e, 'ListenIn', { phoneNumber: '6002' }), 5, 403, /agentB2.*not in an agent group you supervise/);
    await refused(e, supB, `/api/v2/me/devices/${supB.deviceId}`, armBody(e, 'Coach', { phoneNumber: '6002' }), 5, 403, /not in an agent group you supervise/);
    await nothingElse(s, supB);

    // the same supervisor may monitor its own group's agent
    const adminB = 'Basic ' + Buffer.from('adminB:demo').toString('base64');
    await arm(e, supB, 'ListenIn', { agent: b1 });
    await expectArmed(e, supB, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: b1 });
    const call = await ringAndAnswer(e, b1, C, '7600', adminB);
    await expectCall(b1, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(supB, leg('ListenIn', [C, '6001'], '6001'));
    await expectMedia(e, call, { [C]: ['6001'], '6001': [C], '6101': [C, '6001'] }, 'ListenIn in the other center', adminB);
    // the demo center's admin cannot see that call at all
    assert.equal((await e.fetchJson('GET', `/sim/v1/calls/${call}/media`, ADMIN)).json.statusCode, 6);
    await nothingElse(s, supB, b1);
    await expectAudit(e, s, [], opts.auditQuery);
    // each center's admin sees only its own center's entries
    assert.deepEqual((await auditOf(e, adminB, opts.auditQuery)).lines, [
      `Armed ListenIn/AllCalls/Call 6101->6001`,
      `Joined ListenIn/AllCalls/Call 6101->6001 agent=6001 ${ref(call)}`,
    ]);
    assert.deepEqual((await auditOf(e, ADMIN, opts.auditQuery)).lines, []);
  },
};

const row17: Scenario = {
  title: 'row 17: S monitors routing point 7000 (Call scope, AllCalls): two successive calls are each followed to the agent who answers',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const b = await e.user('agent2', { ready: true });
    const path = `/api/v2/me/devices/${s.deviceId}`;
    await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: RP }, { scope: 'Agent' }), 10, 400, /Call only/);
    await arm(e, s, 'ListenIn', { phoneNumber: RP }, { scope: 'Call', mode: 'AllCalls' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: RP });

    const first = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, first, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, { ...leg('ListenIn', [C, A], A), callType: 'Inbound' }, 'follows the first call to agent1');
    await expectMedia(e, first, { [C]: [A], [A]: [C], [S]: [C, A] }, 'first call');
    e.clock.advance(1000); // agent1 becomes idle after agent2: the next call goes to agent2 (a cluster's real clocks move on by themselves)
    await e.simHangup(first);
    await expectCall(a, first, { state: 'Released', participants: [C] });
    await expectCall(s, first, { state: 'Released', monitoring: true });

    const second = await ringAndAnswer(e, b, C2, RP);
    await expectCall(b, second, { state: 'Established', participants: [C2], supervisorListeningIn: true });
    const joined = await expectLeg(s, { ...leg('ListenIn', [C2, B], B), callType: 'Inbound' }, 'follows the second call to agent2');
    assert.equal(joined.call.id, second);
    await expectMedia(e, second, { [C2]: [B], [B]: [C2], [S]: [C2, B] }, 'second call');
    await e.simHangup(second);
    await expectCall(b, second, { state: 'Released', participants: [C2] });
    await expectCall(s, second, { state: 'Released', monitoring: true });
    await nothingElse(s, a, b); // still armed: no device change
    const audit = await auditOf(e, s.auth, opts.auditQuery);
    assert.deepEqual(audit.lines, [
      `Armed ListenIn/AllCalls/Call 5101->7000`,
      `Joined ListenIn/AllCalls/Call 5101->7000 agent=5001 ${ref(first)}`,
      `Left ListenIn/AllCalls/Call 5101->7000 agent=5001 ${ref(first)} CallEnded`,
      `Joined ListenIn/AllCalls/Call 5101->7000 agent=5002 ${ref(second)}`,
      `Left ListenIn/AllCalls/Call 5101->7000 agent=5002 ${ref(second)} CallEnded`,
    ]);
    for (const x of audit.entries) assert.deepEqual(x.target, { phoneNumber: RP, type: 'RoutingPoint' });
    assert.equal(audit.entries[3].agent.userName, 'agent2');
  },
};

const section1refusals: Scenario = {
  title: 'section 1: the arming refusals: parameters (1/10, before the role), another user\'s device (6), no session (2), unknown target (6), own device (2)',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1');
    const a = await e.user('agent1', { ready: true });
    const path = `/api/v2/me/devices/${s.deviceId}`;
    // parameters first, even for a caller who would fail later checks
    await refused(e, a, `/api/v2/me/devices/${a.deviceId}`, { operationName: 'ListenIn', phoneNumber: B, supervisorMonitoringScope: 'Everything' }, 10, 400, /supervisorMonitoringScope.*Agent, Call/);
    await refused(e, s, path, { operationName: 'ListenIn' }, 1, 400, /targetDeviceUri/);
    await refused(e, s, path, { operationName: 'ListenIn', phoneNumber: A, supervisorMonitoringMode: 'Sometimes' }, 10, 400, /supervisorMonitoringMode.*NextCall, AllCalls/);
    await refused(e, s, path, { operationName: 'ListenIn', targetDeviceUri: 5001 }, 10, 400, /targetDeviceUri/);
    // another user's device
    await refused(e, s, `/api/v2/me/devices/${a.deviceId}`, armBody(e, 'ListenIn', { phoneNumber: A }), 6, 404, /./);
    // no contact-center session yet
    await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: A }), 2, 400, /StartContactCenterSession/);
    await s.do('/api/v2/me', { operationName: 'StartContactCenterSession', channels: ['voice'] });
    await s.next((d) => d.data?.messageType === 'DeviceStateChangeMessage' && d.data.devices[0].deviceState === 'Active', 'session active');
    await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: '5999' }), 6, 404, /in your contact center/);
    await refused(e, s, path, armBody(e, 'ListenIn', { phoneNumber: S }), 2, 400, /own device/);
    await refused(e, s, path, { operationName: 'ListenIn', targetDeviceUri: `${e.baseUrl}/api/v2/devices/${s.deviceId}` }, 2, 400, /own device/);
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s))));
    await nothingElse(s, a);
    await expectAudit(e, s, [], opts.auditQuery);
  },
};

/** rows 12, 13 and 17 and section 1's refusals */
export const LIMIT_SCENARIOS = { row12, row12max2, row13role, row13feature, row13centers, row17, section1refusals } as const;
