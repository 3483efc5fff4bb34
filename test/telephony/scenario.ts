/**
 * The real-phone scenario runner shared by the test/telephony files (issue 8 point 6;
 * shared/spec/supervision.md sections 5 and 10, sip.md section 6): Switchboard in this process on
 * free ports (HTTP, SIP, RTP: AppDeps.sipEphemeralPorts, the mixer in one worker thread as in
 * production), one baresip phone per role of the cast, each playing its own tone, registered with
 * password demo and auto-answering its nailed-up leg (the customer is unregistered and dials routing
 * point 7000 through the demo's loopback trunk). GWS REST and the official CometD client drive the
 * steps.
 *
 * At every step the runner waits for what the step's `act` waits for (a CometD notification), checks
 * GET /sim/v1/calls/{callUuid}/media of the main call (and of the consultation call, when the step
 * has one) against the step's matrices, lets the audio flow, and afterwards proves with Goertzel on
 * every phone's recording that in that window each phone heard exactly the parties of the call its
 * leg follows (the consultation call for a party on both: a nailed-up leg follows its DN's newest
 * call), each recording's timeline corrected by the ticks the mixer itself reports as skipped (a phone
 * off the calls must hear silence; nobody hears their own tone; a party of the call that hears nobody
 * gets the hold audio: silence, or only the 620 Hz hold tone with holdAudio "tone").
 * Guarantees: every wait has a timeout; the phones are killed by PID, the app closed and its
 * recordings folder (a temporary one) removed in `finally`; a phone that ended its call itself (a
 * transfer from the phone) is checked only for the phases before it did.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app/app.js';
import { testConfig } from '../../src/config/load.js';
import { demoContactCenter } from '../../src/config/demo.js';
import type { ContactCenterSettings } from '../../src/switch/model.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { E2E } from '../helpers/e2e.js';
import type { UserHandle } from '../helpers/e2e.js';
import { ADMIN, isCall } from '../helpers/supervision-steps.js';
import { PhoneSet, haveBaresip } from '../helpers/baresip.js';
import type { BaresipPhone, PhoneCodec } from '../helpers/baresip.js';
import { skippedTimeline } from '../helpers/baresip-hearing.js';
import type { Phase, TonedParty } from '../helpers/baresip-hearing.js';
import { assertHearing, letAudioFlow, listeningByEnd, listeningOf } from './harness.js';

/** how long each step's audio flows; the analysed window is this minus 2 × 0.7 s of trim (1.2 s, 12 blocks) */
export const PHASE_MS = 2600;
export const EVENT_TIMEOUT_MS = 10_000;
const TICK_MS = 20;
const HOLD_TONE_HZ = 620;
const HOLD_TONE = 'hold tone';
const CUSTOMER_USER = '+15551234567';

/** customer, agent1, supervisor1, agent2, supervisor2 */
export type Role = 'C' | 'A' | 'S' | 'B' | 'S2';
/** supervision.md section 5: per listener, whom it hears (roles absent are not on the call) */
export type Matrix = Partial<Record<Role, Role[]>>;
/** the GWS users with phones, by role */
export type UserRole = Exclude<Role, 'C'>;

export const LISTEN_IN: Matrix = { C: ['A'], A: ['C'], S: ['C', 'A'] };
export const BARGE_IN: Matrix = { C: ['A', 'S'], A: ['C', 'S'], S: ['C', 'A'] };
export const COACH: Matrix = { C: ['A'], A: ['C', 'S'], S: ['C', 'A'] };

export interface World {
  e: E2E;
  /** the customer's call */
  call: string;
  /** the consultation call of a step that made one (set by that step's act) */
  consult?: string;
  number: Record<Role, string>;
  /** Switchboard's SIP port on 127.0.0.1 */
  sipPort: number;
  /** the logged-in user of a role (throws for a role this scenario did not cast) */
  user(role: UserRole): UserHandle;
  /** the phone of a role (throws for a role this scenario did not cast) */
  phone(role: Role): BaresipPhone;
}

export interface Step {
  name: string;
  /** do the GWS operation and wait for its CometD notification */
  act(world: World): Promise<void>;
  /** the customer's call */
  matrix: Matrix;
  /** the consultation call, while there is one */
  consult?: Matrix;
}

/** the next notification of `call` for a user matching `test`, failing loudly after a timeout */
export function callNotice(user: UserHandle, call: string, test: (message: any) => boolean, what: string): Promise<unknown> {
  return user.client.events.next((d) => isCall(call)(d) && test(d.data), EVENT_TIMEOUT_MS, `${user.name}: ${what}`);
}

/** The customer's inbound call ringing agent1 (its CometD notification): its id and the customer's number. */
export async function inboundRinging(agent: UserHandle): Promise<{ call: string; customerNumber: string }> {
  const ringing = (await agent.client.events.next(
    (d) => isCall()(d) && d.data.call.state === 'Ringing' && d.data.call.callType === 'Inbound',
    EVENT_TIMEOUT_MS,
    'agent1: the customer call rings',
  )) as { data: { call: { id: string; participants: { phoneNumber: string }[] } } };
  return { call: ringing.data.call.id, customerNumber: ringing.data.call.participants[0]!.phoneNumber };
}

export function supervisorOp(operationName: string, role: 'S' | 'S2' = 'S'): Step['act'] {
  return async ({ user, call }) => {
    const supervisor = user(role);
    await supervisor.callOp(call, operationName);
    await callNotice(supervisor, call, () => true, `a notification after ${operationName}`);
  };
}

export function agentHolds(state: 'Held' | 'Established'): Step['act'] {
  return async ({ user, call }) => {
    const agent = user('A');
    await agent.callOp(call, state === 'Held' ? 'Hold' : 'Retrieve');
    await callNotice(agent, call, (m) => m.call.state === state, `call ${state}`);
  };
}

/** Who plays which phone: the GWS user (absent for the customer), the SIP user, the tone and the codec. */
const CAST: Record<Role, { userName?: string; sipUser: string; toneHz: number; codec: PhoneCodec; login?: 'session' | 'ready' }> = {
  C: { sipUser: CUSTOMER_USER, toneHz: 440, codec: 'PCMU' },
  A: { userName: 'agent1', sipUser: '5001', toneHz: 1000, codec: 'PCMU', login: 'ready' },
  S: { userName: 'supervisor1', sipUser: '5101', toneHz: 1800, codec: 'PCMA', login: 'session' },
  B: { userName: 'agent2', sipUser: '5002', toneHz: 2400, codec: 'PCMU', login: 'ready' },
  // 2900 Hz: no harmonic of the other tones (nor of the hold tone) within the Goertzel blocks' reach
  S2: { userName: 'supervisor2', sipUser: '5102', toneHz: 2900, codec: 'PCMU', login: 'session' },
};
/** login order: supervisors before agents, so an agent's first call finds them logged in */
const USER_ROLES: UserRole[] = ['S', 'S2', 'A', 'B'];

export interface Scenario {
  /** the phones besides the customer and agent1 */
  more: UserRole[];
  steps: Step[];
  holdAudio: 'silence' | 'tone';
  /** who ends the call through GWS Hangup (Switchboard then sends BYE to the customer) */
  hangsUp: UserRole;
  /** contact-center supervision settings besides the demo's */
  supervision?: Partial<ContactCenterSettings['supervision']>;
}

async function startSwitchboard(scenario: Scenario, recordingsDir: string): Promise<{ e: E2E; sipPort: number }> {
  const demo = demoContactCenter();
  const settings = {
    ...demo.settings,
    sip: { ...demo.settings.sip!, holdAudio: scenario.holdAudio },
    supervision: { ...demo.settings.supervision, ...(scenario.supervision ?? {}) },
  };
  // baresip 1.0 refuses SHA-256 digest challenges (ENOSYS): offer MD5 only
  // the mixer in a worker thread, as in production: the test's own REST and CometD work cannot delay its ticks
  const config = testConfig({ contactCenters: [{ ...demo, settings }], sip: { ...testConfig().sip, digestAlgorithms: ['MD5'] }, media: { workers: 1 }, recordings: { dir: recordingsDir } });
  const e = new E2E();
  e.app = await createApp(config, { passwordHasher: cheapHasher, sipEphemeralPorts: true });
  const { baseUrl, sipPort } = await e.app.listen();
  e.baseUrl = baseUrl;
  assert.ok(sipPort, 'the app serves SIP');
  return { e, sipPort };
}

function sortedObject(matrix: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.keys(matrix).sort().map((key) => [key, [...matrix[key]].sort()]));
}

/** GET /sim/v1/calls/{callUuid}/media as {phoneNumber: heard phoneNumbers}, checked against the step's matrix */
async function mediaOf(world: World, callUuid: string, matrix: Matrix, what: string): Promise<Record<string, string[]>> {
  const reply = await world.e.fetchJson('GET', `/sim/v1/calls/${callUuid}/media`, ADMIN);
  assert.equal(reply.json.statusCode, 0, JSON.stringify(reply.json));
  const media: Record<string, string[]> = Object.fromEntries(reply.json.parties.map((p: { phoneNumber: string; hears: string[] }) => [p.phoneNumber, p.hears]));
  const expected = Object.fromEntries(Object.entries(matrix).map(([listener, speakers]) => [world.number[listener as Role], speakers.map((r) => world.number[r])]));
  assert.deepEqual(sortedObject(media), sortedObject(expected), `media of the ${what} at step`);
  return media;
}

/**
 * What a phone must hear in a phase: the server's matrix for a party of the call its leg follows,
 * plus the hold tone when that party hears nobody and the contact center plays one; silence for a
 * phone off the calls.
 */
function phoneExpectation(medias: ReadonlyArray<Record<string, string[]>>, listener: string, holdAudio: Scenario['holdAudio']): string[] {
  const heard = [...medias].reverse().find((media) => media[listener] !== undefined)?.[listener];
  if (heard === undefined) return [];
  return heard.length === 0 && holdAudio === 'tone' ? [HOLD_TONE] : heard;
}

const hasClosed = (phone: BaresipPhone): boolean => phone.events.filter((event) => event.type === 'CALL_CLOSED').length > 0;

export async function runScenario(scenario: Scenario): Promise<void> {
  assert.ok(haveBaresip(), 'baresip and sox are required: run scripts/install-test-tools.sh');
  const roles: Role[] = ['C', 'A', ...scenario.more];
  const phones = new PhoneSet();
  const recordingsDir = mkdtempSync(join(tmpdir(), 'switchboard-recordings-'));
  let e: E2E | undefined;
  try {
    const started = await startSwitchboard(scenario, recordingsDir);
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
    const phone = (role: Role): BaresipPhone => {
      const found = phoneOf.get(role);
      assert.ok(found, `this scenario has no ${role} phone`);
      return found;
    };
    const customerPhone = phone('C');
    const nailed = roles.filter((role): role is UserRole => role !== 'C');
    await Promise.all(nailed.map((role) => phone(role).waitRegistered()));

    // logging in INVITEs each registered phone once (nailed-up legs, auto-answered)
    const users = new Map<UserRole, UserHandle>();
    for (const role of USER_ROLES.filter((r) => nailed.includes(r))) {
      const cast = CAST[role];
      users.set(role, await e.user(cast.userName!, cast.login === 'ready' ? { ready: true } : { session: true }));
    }
    await Promise.all(nailed.map((role) => phone(role).waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS)));
    await sampleSkipped();
    const user = (role: UserRole): UserHandle => {
      const handle = users.get(role);
      assert.ok(handle, `this scenario has no ${role} phone`);
      return handle;
    };

    // the call moves the nailed-up legs (a re-INVITE); within about a second of their 200 OK, baresip's
    // recording of the agent's leg sometimes ended up empty (a new RTP stream behind the old one: fixed
    // by one stream per dialogue, docs/telephony.md, "Tests with real phones"); the wait stays until runs without it are shown clean
    await letAudioFlow(1200);
    await customerPhone.dial(`sip:7000@127.0.0.1:${started.sipPort}`);
    const agent = user('A');
    const { call, customerNumber } = await inboundRinging(agent);
    await agent.callOp(call, 'Answer');
    await callNotice(agent, call, (m) => m.call.state === 'Established', 'answered');
    await customerPhone.waitEvent('CALL_ESTABLISHED', EVENT_TIMEOUT_MS);
    await sampleSkipped();

    const number: Record<Role, string> = { C: customerNumber, A: CAST.A.sipUser, S: CAST.S.sipUser, B: CAST.B.sipUser, S2: CAST.S2.sipUser };
    const world: World = { e, call, number, sipPort: started.sipPort, user, phone };
    const parties: TonedParty[] = [
      // every tone of the cast table (a phone off the call must not be heard either), supervisor2's when cast
      ...(Object.keys(CAST) as Role[]).filter((role) => role !== 'S2' || roles.includes(role)).map((role) => ({ name: number[role], toneHz: CAST[role].toneHz })),
      { name: HOLD_TONE, toneHz: HOLD_TONE_HZ },
    ];
    const phases: Phase[] = [];
    for (const step of scenario.steps) {
      for (const handle of users.values()) handle.client.events.drain();
      await step.act(world);
      const startedAt = Date.now();
      await sampleSkipped(startedAt);
      const medias = [await mediaOf(world, call, step.matrix, `call at step "${step.name}"`)];
      if (step.consult) {
        assert.ok(world.consult, `step "${step.name}" has a consultation matrix but made no consultation call`);
        medias.push(await mediaOf(world, world.consult, step.consult, `consultation call at step "${step.name}"`));
      }
      await letAudioFlow(PHASE_MS);
      const endedAt = Date.now();
      await sampleSkipped(endedAt);
      // a phone that ended its call itself (a transfer from the phone) has no recording of what follows
      const stillUp = roles.filter((role) => !hasClosed(phone(role)));
      const expected = Object.fromEntries(stillUp.map((role) => [number[role], phoneExpectation(medias, number[role], scenario.holdAudio)]));
      phases.push({ name: step.name, startedAt, endedAt, expected });
    }

    await user(scenario.hangsUp).callOp(call, 'Hangup');
    const closedAt: Record<string, number> = { [customerNumber]: (await customerPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt };
    for (const role of nailed) {
      const nailedPhone = phone(role);
      if (!hasClosed(nailedPhone)) await nailedPhone.hangup();
      closedAt[number[role]] = (await nailedPhone.waitEvent('CALL_CLOSED', EVENT_TIMEOUT_MS)).receivedAt;
    }
    await sampleSkipped();
    await phones.stopAll();

    const skippedBy = skippedTimeline(skipped);
    const table = assertHearing(
      // the customer's recording from its call's start; nailed-up legs from their end (an idle nailed
      // leg may get its first packet only when it joins a call)
      roles.map((role) => (role === 'C' ? listeningOf : listeningByEnd)(phone(role), number[role], skippedBy)),
      phases,
      parties,
      closedAt,
    );
    console.log(table);
  } finally {
    await phones.dispose();
    await e?.close();
    rmSync(recordingsDir, { recursive: true, force: true });
  }
}
