/**
 * The supervision scenarios of shared/spec/supervision.md section 10, written once and run on any
 * E2E harness: the single-node e2e tests (test/e2e/supervision-*.test.ts) and the three-node test
 * (test/cluster/e2e/three-nodes.test.ts) run the same bodies. Rows 1-5 and section 1's re-arming
 * are here; rows 6-9 in ./supervision-scenarios-transfers.ts, rows 10, 11, 14-16 in
 * ./supervision-scenarios-control.ts, rows 12, 13, 17 and section 1's refusals in
 * ./supervision-scenarios-limits.ts. Rows 1 and 5 have golden streams: the single-node test compares
 * them with test/golden/e2e/ byte for byte, the three-node one modulo ids. A scenario starts from
 * logged-out users, checks every step, the media matrix and the audit, and leaves the users'
 * streams to compare (`golden`: user -> file under test/golden/e2e/, in the order compared).
 * `start` says what the single-node harness must start with (other settings, features, more
 * contact centers); none: the demo contact center as it is.
 *
 * `auditQuery` narrows the audit listing to this scenario where the store outlives it (a cluster's
 * PostgreSQL is shared by every scenario of a file); the single-node harness starts a fresh store.
 */
import assert from 'node:assert/strict';
import { demoCenterWith, type E2E, type StartOptions, type UserHandle } from './e2e.js';
import type { ContactCenterSpec } from '../../src/store/port.js';
import {
  A, C, C2, RP, S,
  arm, checkArmedDevice, expectArmed, expectAudit, expectCall, expectDisarmed, expectLeg, expectMedia, expectNoCall,
  getDevice, leg, nothingElse, ref, refused, ringAndAnswer, type CallExpect,
  DEMO_CAST, type Cast,
} from './supervision-steps.js';
import { TRANSFER_SCENARIOS } from './supervision-scenarios-transfers.js';
import { CONTROL_SCENARIOS } from './supervision-scenarios-control.js';
import { LIMIT_SCENARIOS } from './supervision-scenarios-limits.js';

export interface ScenarioOptions {
  /** appended to the audit request (e.g. `from=<ms>`); none by default */
  auditQuery?: string;
  /** the logins and DNs to use instead of the demo's (a scenario with `start` settings reads it) */
  cast?: Cast;
}

export interface Scenario {
  /** what the test is called (`row N: ...`) */
  readonly title: string;
  /** what the single-node harness starts with for this scenario; absent: the demo as it is */
  readonly start?: StartOptions;
  run(e: E2E, opts?: ScenarioOptions): Promise<void>;
}

export interface GoldenScenario extends Scenario {
  /** user -> golden file name under test/golden/e2e/, compared in this order */
  readonly golden: Readonly<Record<string, string>>;
}

type Mode = 'ListenIn' | 'Coach' | 'BargeIn';

/** supervisor1 has ListenIn armed on agent1's DN, a customer calls, agent1 answers: the monitored call */
export async function listenedInCall(e: E2E): Promise<{ s: UserHandle; a: UserHandle; call: string }> {
  const s = await e.user('supervisor1', { session: true });
  const a = await e.user('agent1', { ready: true });
  await arm(e, s, 'ListenIn', { phoneNumber: A });
  await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
  const call = await ringAndAnswer(e, a, C, RP);
  await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: true });
  await expectLeg(s, leg('ListenIn', [C, A], A));
  await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');
  return { s, a, call };
}

const row1: GoldenScenario = {
  title: 'row 1: ListenIn armed while A is idle joins when A answers; C hangs up; S stays armed',
  golden: { supervisor1: 'supervision-1-supervisor.json', agent1: 'supervision-1-agent.json' },
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'ListenIn', { phoneNumber: A }, { scope: 'Call', mode: 'AllCalls' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });

    // S does not join while A rings (S's first call message is the Established leg)
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', callType: 'Inbound', participants: [C], supervisorListeningIn: true, monitoring: false, mute: 'Off', has: ['Hangup', 'Hold'] }, 'answered, listened in');
    const joined = await expectLeg(s, { ...leg('ListenIn', [C, A], A), callType: 'Inbound' }, 'S joins at answer');
    assert.equal(joined.call.id, call);
    assert.deepEqual((await s.get(`/api/v2/me/calls/${call}`)).call, joined.call, 'GET shows the leg as notified');
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C], supervisorListeningIn: false }, 'C hung up');
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true, mute: 'On' }, 'monitored call ended');
    await expectNoCall(e, call);
    // AllCalls: still armed (no DeviceStateChangeMessage, the GET still shows it)
    checkArmedDevice(e, s, await getDevice(e, s), { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a }, 'GET after the call');
    await nothingElse(s, a);

    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

/** row 5's switches in order: the operation, the mode it leads to, the agent's message (none from BargeIn to Coach) and the media */
const ROW5_SWITCHES: ReadonlyArray<{ op: string; mode: Mode; agentSees?: CallExpect; hears: Record<string, string[]> }> = [
  {
    op: 'SwitchToBargeIn',
    mode: 'BargeIn',
    agentSees: { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false },
    hears: { [C]: [A, S], [A]: [C, S], [S]: [C, A] },
  },
  // A's view does not change from BargeIn to Coach (S still listed, not listening in): no message
  { op: 'SwitchToCoach', mode: 'Coach', hears: { [C]: [A], [A]: [C, S], [S]: [C, A] } },
  {
    op: 'SwitchToListenIn',
    mode: 'ListenIn',
    agentSees: { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C], supervisorListeningIn: true },
    hears: { [C]: [A], [A]: [C], [S]: [C, A] },
  },
];

const row5: GoldenScenario = {
  title: 'row 5: ListenIn -> SwitchToBargeIn -> SwitchToCoach -> SwitchToListenIn on one call',
  golden: { supervisor1: 'supervision-5-supervisor.json', agent1: 'supervision-5-agent.json' },
  async run(e, opts = {}) {
    const { s, a, call } = await listenedInCall(e);
    for (const { op, mode, agentSees, hears } of ROW5_SWITCHES) {
      await s.callOp(call, op);
      await expectCall(s, call, leg(mode, [C, A], A), op);
      await expectArmed(e, s, { state: mode, mode: 'AllCalls', scope: 'Call', target: a }, op);
      if (agentSees) await expectCall(a, call, agentSees, `${op}: the agent's view`);
      await expectMedia(e, call, hears, op);
    }

    // a switch to the current mode is not offered; the agent may not switch at all
    await refused(e, s, `/api/v2/me/calls/${call}`, { operationName: 'SwitchToListenIn' }, 2, 400, /SwitchToBargeIn/);
    await refused(e, a, `/api/v2/me/calls/${call}`, { operationName: 'SwitchToBargeIn' }, 5, 403, /ROLE_SUPERVISOR/);

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C] });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true, mute: 'On' });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row2: Scenario = {
  title: 'row 2: NextCall: after the first monitored call the configuration is gone; the second call is not monitored',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'ListenIn', { agent: a }, { mode: 'NextCall' });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'NextCall', scope: 'Call', target: a });

    const first = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, first, { state: 'Established', participants: [C], supervisorListeningIn: true });
    await expectLeg(s, leg('ListenIn', [C, A], A), 'joins the next call');
    await expectMedia(e, first, { [C]: [A], [A]: [C], [S]: [C, A] }, 'ListenIn');

    await e.simHangup(first);
    await expectCall(a, first, { state: 'Released', participants: [C] });
    await expectCall(s, first, { state: 'Released', participants: [C, A], monitoring: true });
    await expectDisarmed(s, 'NextCall finished');
    assert.ok(!('supervisorMonitoringState' in (await getDevice(e, s))), 'GET: no supervisorMonitoringState');

    const second = await ringAndAnswer(e, a, C2, RP);
    await expectCall(a, second, { state: 'Established', participants: [C2], supervisorListeningIn: false }, 'not monitored');
    await expectMedia(e, second, { [C2]: [A], [A]: [C2] }, 'no supervisor on the second call');
    await nothingElse(s, a); // S got nothing about the second call
    await expectAudit(e, s, [
      `Armed ListenIn/NextCall/Call 5101->5001`,
      `Joined ListenIn/NextCall/Call 5101->5001 agent=5001 ${ref(first)}`,
      `Left ListenIn/NextCall/Call 5101->5001 agent=5001 ${ref(first)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row3: Scenario = {
  title: 'row 3: BargeIn while A is on a call joins at once; everyone hears everyone',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C], supervisorListeningIn: false });
    await expectMedia(e, call, { [C]: [A], [A]: [C] }, 'A and C, no supervisor');

    await arm(e, s, 'BargeIn', { phoneNumber: A });
    await expectLeg(s, { ...leg('BargeIn', [C, A], A), callType: 'Inbound' }, 'joins at once');
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false }, 'S barged in');
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true, mute: 'Off' });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `Joined BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row4: Scenario = {
  title: 'row 4: Coach: A hears S, C does not',
  async run(e, opts = {}) {
    const s = await e.user('supervisor1', { session: true });
    const a = await e.user('agent1', { ready: true });
    await arm(e, s, 'Coach', { agent: a }, { scope: 'Call' });
    await expectArmed(e, s, { state: 'Coach', mode: 'AllCalls', scope: 'Call', target: a });

    const call = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, call, { state: 'Established', participants: [C, S], supervisorListeningIn: false }, 'the coach is listed for A');
    await expectLeg(s, leg('Coach', [C, A], A), 'coaching');
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach');

    // S mutes itself in Coach: A no longer hears S
    await s.callOp(call, 'MuteCall');
    await expectCall(s, call, leg('Coach', [C, A], A, { mute: 'On', has: ['UnmuteCall', 'SwitchToListenIn'], lacks: ['MuteCall'] }), 'S muted');
    await expectMedia(e, call, { [C]: [A], [A]: [C], [S]: [C, A] }, 'Coach, S muted');
    await s.callOp(call, 'UnmuteCall');
    await expectCall(s, call, leg('Coach', [C, A], A), 'S unmuted');
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach again');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', participants: [C, A], monitoring: true });
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed Coach/AllCalls/Call 5101->5001`,
      `Joined Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Left Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const section1: Scenario = {
  title: 'section 1: re-arming the same target while on its call switches the mode on that call; NextCall then ends with it',
  async run(e, opts = {}) {
    const { s, a, call } = await listenedInCall(e);

    await arm(e, s, 'BargeIn', { agent: a });
    await expectCall(s, call, leg('BargeIn', [C, A], A), 'the same call, now barged in');
    await expectArmed(e, s, { state: 'BargeIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectCall(a, call, { notificationType: 'ParticipantsUpdated', state: 'Established', participants: [C, S], supervisorListeningIn: false });
    await expectMedia(e, call, { [C]: [A, S], [A]: [C, S], [S]: [C, A] }, 'BargeIn by re-arming');

    await arm(e, s, 'Coach', { phoneNumber: A }, { mode: 'NextCall' });
    await expectCall(s, call, leg('Coach', [C, A], A), 'the same call, now coaching');
    await expectArmed(e, s, { state: 'Coach', mode: 'NextCall', scope: 'Call', target: a });
    await expectMedia(e, call, { [C]: [A], [A]: [C, S], [S]: [C, A] }, 'Coach by re-arming');

    await e.simHangup(call);
    await expectCall(a, call, { state: 'Released', participants: [C, S] });
    await expectCall(s, call, { state: 'Released', monitoring: true });
    await expectDisarmed(s, 'NextCall: this call was the one');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call 5101->5001`,
      `Joined ListenIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `ModeChanged BargeIn/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Armed BargeIn/AllCalls/Call 5101->5001`,
      `ModeChanged Coach/AllCalls/Call 5101->5001 agent=5001 ${ref(call)}`,
      `Armed Coach/NextCall/Call 5101->5001`,
      `Left Coach/NextCall/Call 5101->5001 agent=5001 ${ref(call)} CallEnded`,
    ], opts.auditQuery);
  },
};

const row18: Scenario = {
  title: 'row 18: intrusion off: ListenIn while A is on a call waits for the next call',
  start: { settings: { supervision: { intrusion: false } } },
  async run(e, opts = {}) {
    const { login, A, S, RP } = opts.cast ?? DEMO_CAST;
    const s = await e.user(login('supervisor1'), { session: true });
    const a = await e.user(login('agent1'), { ready: true });
    const first = await ringAndAnswer(e, a, C, RP);
    await expectCall(a, first, { state: 'Established', participants: [C], supervisorListeningIn: false });

    await arm(e, s, 'ListenIn', { phoneNumber: A });
    await expectArmed(e, s, { state: 'ListenIn', mode: 'AllCalls', scope: 'Call', target: a });
    await expectMedia(e, first, { [C]: [A], [A]: [C] }, 'not joined');
    await nothingElse(s, a); // no leg for S, no change for A

    await e.simHangup(first);
    await expectCall(a, first, { state: 'Released', participants: [C] });
    const second = await ringAndAnswer(e, a, C2, RP);
    await expectCall(a, second, { state: 'Established', participants: [C2], supervisorListeningIn: true });
    const joined = await expectLeg(s, leg('ListenIn', [C2, A], A), 'joins the next call');
    assert.equal(joined.call.id, second);
    await expectMedia(e, second, { [C2]: [A], [A]: [C2], [S]: [C2, A] }, 'ListenIn on the next call');
    await nothingElse(s, a);
    await expectAudit(e, s, [
      `Armed ListenIn/AllCalls/Call ${S}->${A}`,
      `Joined ListenIn/AllCalls/Call ${S}->${A} agent=${A} ${ref(second)}`,
    ], opts.auditQuery);
  },
};

/**
 * The scenario's `start` settings and features on a copy of the demo contact center named
 * `Demo <tag>`, its users' logins prefixed `<tag>-`, its DNs moved by `dnOffset` (a configuration
 * is one login namespace and one dial plan), with the cast and the admin credentials that address
 * it: for a harness that cannot start a contact center per scenario (a cluster).
 */
export function demoVariant(scenario: Scenario, tag: string, dnOffset: number): { center: ContactCenterSpec; cast: Cast; adminAuth: string } {
  const demo = demoCenterWith(scenario.start ?? {});
  const login = (user: string) => `${tag}-${user}`;
  const moved = (dn: string) => String(Number(dn) + dnOffset);
  const center: ContactCenterSpec = {
    ...demo,
    name: `${demo.name} ${tag}`,
    users: demo.users.map((u) => ({ ...u, userName: login(u.userName), ...(u.dn !== undefined ? { dn: moved(u.dn) } : {}) })),
    routingPoints: demo.routingPoints.map((r) => ({ ...r, number: moved(r.number) })),
    agentGroups: demo.agentGroups.map((g) => ({ ...g, agents: g.agents.map(login), supervisors: g.supervisors.map(login) })),
  };
  const cast: Cast = { login, A: moved(DEMO_CAST.A), B: moved(DEMO_CAST.B), S: moved(DEMO_CAST.S), S2: moved(DEMO_CAST.S2), RP: moved(DEMO_CAST.RP) };
  return { center, cast, adminAuth: 'Basic ' + Buffer.from(`${login('admin')}:demo`).toString('base64') };
}

/** every supervision scenario with golden streams, by row */
export const GOLDEN_SUPERVISION_SCENARIOS = { row1, row5 } as const;

/** the other scenarios of rows 2-4, 18 and section 1 (the three-node test compares each with a single-node run of the same body) */
export const ARMING_SCENARIOS = { row2, row3, row4, row18, section1 } as const;

/**
 * Every other scenario, without golden files: the three-node test compares each user's stream with
 * a single-node run of the same body.
 */
export const CROSS_CHECKED_SUPERVISION_SCENARIOS: Readonly<Record<string, Scenario>> = {
  ...ARMING_SCENARIOS,
  ...TRANSFER_SCENARIOS,
  ...CONTROL_SCENARIOS,
  ...LIMIT_SCENARIOS,
};
