/**
 * Supervision with real phones (issue 8 point 6; shared/spec/supervision.md sections 5 and 10, sip.md
 * section 6): Switchboard in this process on free ports (HTTP, SIP, RTP: AppDeps.sipEphemeralPorts), four baresip phones each
 * playing its own tone — customer 440 Hz (PCMU, unregistered, dials routing point 7000 through the
 * demo's loopback trunk), agent1 5001 1000 Hz (PCMU), supervisor1 5101 1800 Hz (PCMA, so the mixer
 * transcodes), agent2 5002 2400 Hz (PCMU) — registered with password demo and auto-answering their
 * nailed-up legs. GWS REST and the official CometD client drive the scenario: agents Ready, the
 * customer dials, agent1 answers through GWS, then ListenIn, every mode switch, hold in ListenIn and
 * in BargeIn, MuteMonitoredUser, CancelSupervisorMonitoring and a Call-scope transfer to agent2.
 *
 * At every step the test waits for the CometD notification, checks GET /sim/v1/calls/{callUuid}/media
 * against section 5's table, lets the audio flow, and afterwards proves with Goertzel on every
 * phone's recording that in that window each phone heard exactly the parties the server's matrix
 * says (a phone off the call, or hearing nobody, must hear silence; nobody hears their own tone; the
 * 620 Hz hold tone must not appear, the demo's holdAudio being silence).
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
import type { BaresipPhone } from '../helpers/baresip.js';
import type { Phase, TonedParty } from '../helpers/baresip-hearing.js';
import { assertHearing, letAudioFlow, listeningOf } from './harness.js';

/** how long each step's audio flows; the analysed window is this minus 2 × 0.6 s of trim */
const PHASE_MS = 2400;
const EVENT_TIMEOUT_MS = 10_000;
const HOLD_TONE_HZ = 620;

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

interface World {
  e: E2E;
  call: string;
  agent: UserHandle;
  supervisor: UserHandle;
  agent2: UserHandle;
  number: Record<Role, string>;
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
  return async ({ supervisor, call }) => {
    await supervisor.callOp(call, operationName);
    await callNotice(supervisor, call, () => true, `a notification after ${operationName}`);
  };
}

function agentHolds(state: 'Held' | 'Established'): Step['act'] {
  return async ({ agent, call }) => {
    await agent.callOp(call, state === 'Held' ? 'Hold' : 'Retrieve');
    await callNotice(agent, call, (m) => m.call.state === state, `call ${state}`);
  };
}

const STEPS: Step[] = [
  { name: 'A and C', act: async () => undefined, matrix: { C: ['A'], A: ['C'] } },
  {
    name: 'ListenIn',
    act: async ({ e, supervisor, agent, call }) => {
      await arm(e, supervisor, 'ListenIn', { agent }, { scope: 'Call' });
      await callNotice(supervisor, call, (m) => m.call.state === 'Established' && m.call.monitoring === true, 'the monitoring leg joins');
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
    act: async ({ supervisor, call }) => {
      const reply = await supervisor.deviceOp('CancelSupervisorMonitoring');
      assert.equal(reply.statusCode, 0, JSON.stringify(reply));
      await callNotice(supervisor, call, (m) => m.call.state === 'Released', 'the monitoring leg released');
    },
    matrix: { C: ['A'], A: ['C'] },
  },
  {
    name: 'ListenIn (Call scope) again',
    act: async ({ e, supervisor, agent, call }) => {
      await arm(e, supervisor, 'ListenIn', { agent }, { scope: 'Call' });
      await callNotice(supervisor, call, (m) => m.call.state === 'Established' && m.call.monitoring === true, 'the monitoring leg joins again');
    },
    matrix: LISTEN_IN,
  },
  {
    name: 'A transfers C to B: B rings',
    act: async ({ agent, agent2, call }) => {
      await agent.callOp(call, 'SingleStepTransfer', { destination: { phoneNumber: B } });
      await callNotice(agent2, call, (m) => m.call.state === 'Ringing', 'the transferred call rings');
    },
    matrix: { C: [], B: [], S: ['C'] },
  },
  {
    name: 'B answers, S follows the call',
    act: async ({ agent2, call }) => {
      await agent2.callOp(call, 'Answer');
      await callNotice(agent2, call, (m) => m.call.state === 'Established', 'B established');
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

async function startSwitchboard(): Promise<{ e: E2E; sipPort: number }> {
  // baresip 1.0 refuses SHA-256 digest challenges (ENOSYS): offer MD5 only
  const config = testConfig({ contactCenters: [demoContactCenter()], sip: { ...testConfig().sip, digestAlgorithms: ['MD5'] } });
  const e = new E2E();
  e.app = await createApp(config, { passwordHasher: cheapHasher, sipEphemeralPorts: true });
  const { baseUrl, sipPort } = await e.app.listen();
  e.baseUrl = baseUrl;
  assert.ok(sipPort, 'the app serves SIP');
  return { e, sipPort };
}

test('what every real phone hears equals GET /sim/v1/calls/{callUuid}/media at every supervision step', { timeout: 120_000 }, async () => {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const phones = new PhoneSet();
  let e: E2E | undefined;
  try {
    const started = await startSwitchboard();
    e = started.e;
    const registrar = { port: started.sipPort, password: 'demo' };
    const [customerPhone, agentPhone, supervisorPhone, agent2Phone] = await Promise.all([
      phones.start({ name: 'customer', user: CUSTOMER_USER, toneHz: 440, codec: 'PCMU' }),
      phones.start({ name: 'agent1', user: A, toneHz: 1000, codec: 'PCMU', registrar, autoAnswer: true }),
      phones.start({ name: 'supervisor1', user: S, toneHz: 1800, codec: 'PCMA', registrar, autoAnswer: true }),
      phones.start({ name: 'agent2', user: B, toneHz: 2400, codec: 'PCMU', registrar, autoAnswer: true }),
    ]);
    const nailed: BaresipPhone[] = [agentPhone, supervisorPhone, agent2Phone];
    await Promise.all(nailed.map((phone) => phone.waitRegistered()));

    // logging in INVITEs each registered phone once (nailed-up legs, auto-answered)
    const supervisor = await e.user('supervisor1', { session: true });
    const agent = await e.user('agent1', { ready: true });
    const agent2 = await e.user('agent2', { ready: true });
    await Promise.all(nailed.map((phone) => phone.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)));

    await customerPhone.dial(`sip:7000@127.0.0.1:${started.sipPort}`);
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

    const world: World = { e, call, agent, supervisor, agent2, number: { C: customerNumber, A, S, B } };
    const parties: TonedParty[] = [
      { name: customerNumber, toneHz: 440 },
      { name: A, toneHz: 1000 },
      { name: S, toneHz: 1800 },
      { name: B, toneHz: 2400 },
      { name: 'hold tone', toneHz: HOLD_TONE_HZ },
    ];
    const listeners = [customerNumber, A, S, B];
    const phases: Phase[] = [];
    for (const step of STEPS) {
      for (const user of [agent, supervisor, agent2]) user.client.events.drain();
      await step.act(world);
      const startedAt = Date.now();
      const media = await mediaOf(world, step);
      await letAudioFlow(PHASE_MS);
      // a phone whose party is not on the call (or not yet) hears nobody: silence on its leg
      const expected = Object.fromEntries(listeners.map((listener) => [listener, media[listener] ?? []]));
      phases.push({ name: step.name, startedAt, endedAt: Date.now(), expected });
    }

    // B hangs up through GWS: Switchboard sends BYE to the customer
    await agent2.callOp(call, 'Hangup');
    const customerClosed = await customerPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS);
    const closedAt: Record<string, number> = { [customerNumber]: customerClosed.receivedAt };
    for (const [name, phone] of [[A, agentPhone], [S, supervisorPhone], [B, agent2Phone]] as const) {
      await phone.hangup();
      closedAt[name] = (await phone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt;
    }
    await phones.stopAll();

    const table = assertHearing(
      [listeningOf(customerPhone, customerNumber), listeningOf(agentPhone, A), listeningOf(supervisorPhone, S), listeningOf(agent2Phone, B)],
      phases,
      parties,
      closedAt,
    );
    console.log(table);
  } finally {
    await phones.dispose();
    await e?.close();
  }
});
