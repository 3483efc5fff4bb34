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
import { createApp } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { E2E } from '../helpers/e2e.js';
import type { UserHandle } from '../helpers/e2e.js';
import { ADMIN, arm, isCall } from '../helpers/supervision-steps.js';
import { PhoneSet, haveBaresip } from '../helpers/baresip.js';
import type { BaresipPhone, PhoneCodec } from '../helpers/baresip.js';
import { skippedTimeline } from '../helpers/baresip-hearing.js';
import type { Phase, TonedParty } from '../helpers/baresip-hearing.js';
import { assertHearing, letAudioFlow, listeningByEnd, listeningOf } from './harness.js';

/** how long each step's audio flows; the analysed window is this minus 2 × 0.7 s of trim (1.2 s, 12 blocks) */
const PHASE_MS = 2600;
const EVENT_TIMEOUT_MS = 10_000;
const TICK_MS = 20;
const HOLD_TONE_HZ = 620;
const HOLD_TONE = 'hold tone';

const A = '5001';
const S = '5101';
const B = '5002';
const CUSTOMER_USER = '+15551234567';

type Role = 'C' | 'A' | 'S' | 'B';
/** supervision.md section 5: per listener, whom it hears (roles absent are not on the call) */
type Matrix = Partial<Record<Role, Role[]>>;

const LISTEN_IN: Matrix = { C: ['A'], A: ['C'], S: ['C', 'A'] };
const BARGE_IN: Matrix = { C: ['A', 'S'], A: ['C', 'S'], S: ['C', 'A'] };
const COACH: Matrix = { C: ['A'], A: ['C', 'S'], S: ['C', 'A'] };

/** the GWS users with phones, by role */
type UserRole = Exclude<Role, 'C'>;

interface World {
  e: E2E;
  call: string;
  number: Record<Role, string>;
  /** the logged-in user of a role (throws for a role this scenario did not cast) */
  user(role: UserRole): UserHandle;
}

interface Step {
  name: string;
  /** do the GWS operation and wait for its CometD notification */
  act(world: World): Promise<void>;
  matrix: Matrix;
}

/** the next notification of the world's call for a user matching `test`, failing loudly after a timeout */
function callNotice(user: UserHandle, call: string, test: (message: any) => boolean, what: string): Promise<unknown> {
  return user.client.events.next((d) => isCall(call)(d) && test(d.data), EVENT_TIMEOUT_MS, `${user.name}: ${what}`);
}

function supervisorOp(operationName: string): Step['act'] {
  return async ({ user, call }) => {
    const supervisor = user('S');
    await supervisor.callOp(call, operationName);
    await callNotice(supervisor, call, () => true, `a notification after ${operationName}`);
  };
}

function agentHolds(state: 'Held' | 'Established'): Step['act'] {
  return async ({ user, call }) => {
    const agent = user('A');
    await agent.callOp(call, state === 'Held' ? 'Hold' : 'Retrieve');
    await callNotice(agent, call, (m) => m.call.state === state, `call ${state}`);
  };
}

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

function sortedObject(matrix: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.keys(matrix).sort().map((key) => [key, [...matrix[key]].sort()]));
}

/** GET /sim/v1/calls/{callUuid}/media as {phoneNumber: heard phoneNumbers}, checked against section 5's table */
async function mediaOf(world: World, step: Step): Promise<Record<string, string[]>> {
  const reply = await world.e.fetchJson('GET', `/sim/v1/calls/${world.call}/media`, ADMIN);
  assert.equal(reply.json.statusCode, 0, JSON.stringify(reply.json));
  const media: Record<string, string[]> = Object.fromEntries(reply.json.parties.map((p: { phoneNumber: string; hears: string[] }) => [p.phoneNumber, p.hears]));
  const expected = Object.fromEntries(Object.entries(step.matrix).map(([listener, speakers]) => [world.number[listener as Role], speakers.map((r) => world.number[r])]));
  assert.deepEqual(sortedObject(media), sortedObject(expected), `media of the call at step "${step.name}"`);
  return media;
}

/** Who plays which phone: the GWS user (absent for the customer), the SIP user, the tone and the codec. */
const CAST: Record<Role, { userName?: string; sipUser: string; toneHz: number; codec: PhoneCodec; login?: 'session' | 'ready' }> = {
  C: { sipUser: CUSTOMER_USER, toneHz: 440, codec: 'PCMU' },
  A: { userName: 'agent1', sipUser: A, toneHz: 1000, codec: 'PCMU', login: 'ready' },
  S: { userName: 'supervisor1', sipUser: S, toneHz: 1800, codec: 'PCMA', login: 'session' },
  B: { userName: 'agent2', sipUser: B, toneHz: 2400, codec: 'PCMU', login: 'ready' },
};
const USER_ROLES: UserRole[] = ['S', 'A', 'B'];

interface Scenario {
  /** the phones besides the customer and agent1 */
  more: UserRole[];
  steps: Step[];
  holdAudio: 'silence' | 'tone';
  /** who ends the call through GWS Hangup (Switchboard then sends BYE to the customer) */
  hangsUp: UserRole;
}

async function startSwitchboard(holdAudio: Scenario['holdAudio']): Promise<{ e: E2E; sipPort: number }> {
  const demo = demoContactCenter();
  const settings = { ...demo.settings, sip: { ...demo.settings.sip!, holdAudio } };
  // baresip 1.0 refuses SHA-256 digest challenges (ENOSYS): offer MD5 only
  // the mixer in a worker thread, as in production: the test's own REST and CometD work cannot delay its ticks
  const config = testConfig({ contactCenters: [{ ...demo, settings }], sip: { ...testConfig().sip, digestAlgorithms: ['MD5'] }, media: { workers: 1 } });
  const e = new E2E();
  e.app = await createApp(config, { passwordHasher: cheapHasher, sipEphemeralPorts: true });
  const { baseUrl, sipPort } = await e.app.listen();
  e.baseUrl = baseUrl;
  assert.ok(sipPort, 'the app serves SIP');
  return { e, sipPort };
}

/**
 * What a phone must hear in a phase: the server's matrix for a party of the call, plus the hold tone
 * when that party hears nobody and the contact center plays one; silence for a phone off the call.
 */
function phoneExpectation(media: Record<string, string[]>, listener: string, holdAudio: Scenario['holdAudio']): string[] {
  const heard = media[listener];
  if (heard === undefined) return [];
  return heard.length === 0 && holdAudio === 'tone' ? [HOLD_TONE] : heard;
}

async function runScenario(scenario: Scenario): Promise<void> {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const roles: Role[] = ['C', 'A', ...scenario.more];
  const phones = new PhoneSet();
  let e: E2E | undefined;
  try {
    const started = await startSwitchboard(scenario.holdAudio);
    e = started.e;
    const app = e.app;
    // the mixer's own count of the ticks it skipped (stalls over 200 ms), sampled along the scenario
    const skipped: Array<{ at: number; skippedSec: number }> = [];
    const sampleSkipped = async (at = Date.now()): Promise<void> => {
      assert.ok(app.telephony, 'the app has telephony');
      const stats = await app.telephony.media.stats();
      skipped.push({ at, skippedSec: (stats.reduce((sum, worker) => sum + worker.skippedTicks, 0) * TICK_MS) / 1000 });
    };
    await sampleSkipped();
    const registrar = { port: started.sipPort, password: 'demo' };
    const phoneList = await Promise.all(
      roles.map((role) => {
        const cast = CAST[role];
        const registered = role === 'C' ? {} : { registrar, autoAnswer: true };
        return phones.start({ name: cast.userName ?? 'customer', user: cast.sipUser, toneHz: cast.toneHz, codec: cast.codec, ...registered });
      }),
    );
    const phoneOf = new Map<Role, BaresipPhone>(roles.map((role, index) => [role, phoneList[index]]));
    const customerPhone = phoneOf.get('C')!;
    const nailed = roles.filter((role): role is UserRole => role !== 'C');
    await Promise.all(nailed.map((role) => phoneOf.get(role)!.waitRegistered()));

    // logging in INVITEs each registered phone once (nailed-up legs, auto-answered)
    const users = new Map<UserRole, UserHandle>();
    for (const role of USER_ROLES.filter((r) => nailed.includes(r))) {
      const cast = CAST[role];
      users.set(role, await e.user(cast.userName!, cast.login === 'ready' ? { ready: true } : { session: true }));
    }
    await Promise.all(nailed.map((role) => phoneOf.get(role)!.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)));
    await sampleSkipped();
    const user = (role: UserRole): UserHandle => {
      const handle = users.get(role);
      assert.ok(handle, `this scenario has no ${role} phone`);
      return handle;
    };

    // the call moves the nailed-up legs (a re-INVITE); within about a second of their 200 OK, baresip's
    // recording of the agent's leg sometimes ended up empty (0.00 s; in 2 of about 12 short runs), so the
    // customer dials only once the legs are older than that
    await letAudioFlow(1200);
    await customerPhone.dial(`sip:7000@127.0.0.1:${started.sipPort}`);
    const agent = user('A');
    const ringing = (await agent.client.events.next(
      (d) => isCall()(d) && d.data.call.state === 'Ringing' && d.data.call.callType === 'Inbound',
      EVENT_TIMEOUT_MS,
      'agent1: the customer call rings',
    )) as { data: { call: { id: string; participants: { phoneNumber: string }[] } } };
    const call = ringing.data.call.id;
    const customerNumber = ringing.data.call.participants[0].phoneNumber;
    await agent.callOp(call, 'Answer');
    await callNotice(agent, call, (m) => m.call.state === 'Established', 'answered');
    await customerPhone.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS);
    await sampleSkipped();

    const number: Record<Role, string> = { C: customerNumber, A, S, B };
    const world: World = { e, call, number, user };
    const parties: TonedParty[] = [
      ...(['C', 'A', 'S', 'B'] as const).map((role) => ({ name: number[role], toneHz: CAST[role].toneHz })),
      { name: HOLD_TONE, toneHz: HOLD_TONE_HZ },
    ];
    const phases: Phase[] = [];
    for (const step of scenario.steps) {
      for (const handle of users.values()) handle.client.events.drain();
      await step.act(world);
      const startedAt = Date.now();
      await sampleSkipped(startedAt);
      const media = await mediaOf(world, step);
      await letAudioFlow(PHASE_MS);
      const endedAt = Date.now();
      await sampleSkipped(endedAt);
      const expected = Object.fromEntries(roles.map((role) => [number[role], phoneExpectation(media, number[role], scenario.holdAudio)]));
      phases.push({ name: step.name, startedAt, endedAt, expected });
    }

    await user(scenario.hangsUp).callOp(call, 'Hangup');
    const closedAt: Record<string, number> = { [customerNumber]: (await customerPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt };
    for (const role of nailed) {
      const phone = phoneOf.get(role)!;
      await phone.hangup();
      closedAt[number[role]] = (await phone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt;
    }
    await sampleSkipped();
    await phones.stopAll();

    const skippedBy = skippedTimeline(skipped);
    const table = assertHearing(
      // the customer's recording from its call's start; nailed-up legs from their end (an idle nailed
      // leg may get its first packet only when it joins a call)
      roles.map((role) => (role === 'C' ? listeningOf : listeningByEnd)(phoneOf.get(role)!, number[role], skippedBy)),
      phases,
      parties,
      closedAt,
    );
    console.log(table);
  } finally {
    await phones.dispose();
    await e?.close();
  }
}

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
