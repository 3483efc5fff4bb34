/**
 * The SwitchPort contract suite: scenarios with exact event lines and the property test of the
 * switch invariants, through the port only (commands, queries, onEvent). Every switch must pass
 * it: `runSwitchContract(name, makeHarness)` runs it against the harness that factory builds.
 * Today: the call model with simulated endpoints, and with FakePhones (an in-process stand-in for
 * SIP phones and a trunk that answers through the endpoints-port facts); the SIP adapter later.
 *
 * Also here: FakePhones, the phone stand-in. Extensions confirm an offer with Ringing, answer a GWS
 * Answer with 'Pending' and then an Answered fact (as a per-call SIP phone does after NOTIFY talk);
 * external numbers answer after the contact center's externalAnswerDelayMs through host.timer.
 * It records every effect, so a test can check what the phones were told (media, DTMF, releases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AnswerOutcome, EndpointHost, Endpoints, LegRef, Offer } from '../../src/endpoints/port.js';
import { selectorOf } from '../../src/endpoints/port.js';
import type { CallEvent, ContactCenterSettings, DeviceEvent, MediaParty, RecordingState, SwitchEvent } from '../../src/switch/model.js';
import type { CallOperation, SwitchPort } from '../../src/switch/port.js';
import type { VirtualClock } from '../../src/switch/clock.js';
import { AGENTS, Harness, SUPERVISORS, defaultSettings } from './switch-harness.js';

export type MakeHarness = (settings?: ContactCenterSettings) => Harness;

// =============================================================================== fake phones

const legKey = (leg: { callUuid: string; dn: string }) => `${leg.callUuid}|${leg.dn}`;

export class FakePhones implements Endpoints {
  readonly name = 'fake-phones';
  /** every effect, as "effect dn" lines */
  readonly effects: string[] = [];
  /** the last matrix each call's mixer was given */
  readonly mixer = new Map<string, readonly MediaParty[]>();
  private readonly pending = new Map<string, () => void>();

  constructor(readonly host: EndpointHost) {}

  offer(leg: LegRef, offer: Offer): void {
    this.effects.push(`offer ${leg.dn}${offer.autoAnswer ? ' auto' : ''}`);
    if (leg.kind === 'Extension') {
      this.host.fact({ kind: 'Ringing', leg }); // 180 Ringing (a confirmation; the model shows Ringing already)
      return;
    }
    this.answerLater(leg);
  }

  answer(leg: LegRef): AnswerOutcome {
    this.effects.push(`answer ${leg.dn}`);
    this.host.fact({ kind: 'Answered', leg }); // the phone picks up at once (queued behind the command)
    return 'Pending';
  }

  release(leg: LegRef): void {
    this.effects.push(`release ${leg.dn}`);
    this.cancel(leg);
  }

  moveLeg(from: LegRef, to: LegRef): void {
    this.effects.push(`move ${from.dn}`);
    if (this.cancel(from)) this.answerLater(to);
  }

  setMedia(callUuid: string, matrix: readonly MediaParty[]): void {
    if (matrix.length) this.mixer.set(callUuid, matrix);
    else this.mixer.delete(callUuid);
  }

  sendDtmf(leg: LegRef, digits: string): void {
    this.effects.push(`dtmf ${leg.dn} ${digits}`);
  }

  record(callUuid: string, state: RecordingState): void {
    this.effects.push(`record ${state}`);
  }

  stop(): void {
    for (const cancel of this.pending.values()) cancel();
    this.pending.clear();
  }

  private answerLater(leg: LegRef): void {
    const delay = this.host.settings(leg.contactCenterId)?.externalAnswerDelayMs ?? 0;
    this.pending.set(legKey(leg), this.host.timer(delay, 'trunk answers', () => {
      this.pending.delete(legKey(leg));
      this.host.fact({ kind: 'Answered', leg });
    }));
  }

  private cancel(leg: LegRef): boolean {
    const cancel = this.pending.get(legKey(leg));
    if (!cancel) return false;
    cancel();
    this.pending.delete(legKey(leg));
    return true;
  }
}

/** the harness factories the contract runs against */
export const simulatedHarness: MakeHarness = (settings) => new Harness(settings);

export function fakePhoneHarness(settings?: ContactCenterSettings): Harness & { phones: FakePhones } {
  let phones: FakePhones | undefined;
  const h = new Harness(settings, {
    endpoints: (host, simulated) => {
      phones = new FakePhones(host);
      return selectorOf(simulated, [{ endpoints: phones, serves: () => true }]);
    },
  });
  return Object.assign(h, { phones: phones! });
}

// =============================================================================== the suite

export function runSwitchContract(name: string, make: MakeHarness): void {
  test(`${name}: inbound through a routing point: ring, answer, hold, retrieve, hang up`, () => {
    const h = make();
    h.loginReady('5001', '5002');
    h.take();
    const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '7000', { Account: '42' }));
    assert.deepEqual(h.take(), ['5001 call #1 StatusChange Ringing Inbound [+15551234]']);
    h.op('5001', callUuid, { name: 'Answer' });
    assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Inbound [+15551234]']);
    assert.deepEqual(h.mediaOf(callUuid), { '+15551234': ['5001'], '5001': ['+15551234'] });
    h.op('5001', callUuid, { name: 'Hold' });
    assert.deepEqual(h.mediaOf(callUuid), { '+15551234': [], '5001': [] });
    h.op('5001', callUuid, { name: 'Retrieve' });
    h.op('5001', callUuid, { name: 'Hangup' });
    assert.deepEqual(h.take(), [
      '5001 call #1 StatusChange Held Inbound [+15551234]',
      '5001 call #1 StatusChange Established Inbound [+15551234]',
      '5001 call #1 StatusChange Released Inbound [+15551234]',
    ]);
    assert.equal(h.sw.media(callUuid), undefined);
  });

  test(`${name}: every change of the media matrix is a media fact, the last one empty`, () => {
    const h = make();
    h.loginReady('5001');
    const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
    h.op('5001', callUuid, { name: 'Answer' });
    h.op('5001', callUuid, { name: 'MuteCall' });
    h.op('5001', callUuid, { name: 'Hangup' });
    assert.deepEqual(h.mediaEvents(), [
      'media #1 +15551234< 5001<',
      'media #1 +15551234<5001 5001<+15551234',
      'media #1 +15551234< 5001<+15551234',
      'media #1 ',
    ]);
  });

  test(`${name}: external numbers answer after the configured delay; a dial failure reports Error then Released`, () => {
    const h = make(defaultSettings({ externalAnswerDelayMs: 3000 }));
    h.loginReady('5001', '5002');
    h.take();
    const { callUuid } = h.ok(h.sw.dial('5001', { phoneNumber: '+442071234567' }));
    assert.deepEqual(h.take(), ['5001 call #1 StatusChange Dialing Outbound [+442071234567]']);
    h.clock.advance(2999);
    assert.deepEqual(h.take(), []);
    h.clock.advance(1);
    assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Outbound [+442071234567]']);
    h.op('5001', callUuid, { name: 'Hangup' });
    h.take();
    h.ok(h.sw.dial('5001', { phoneNumber: '123' }));
    assert.deepEqual(h.take(), [
      '5001 call #2 StatusChange Dialing Internal [123]',
      '5001 call #2 Error Dialing Internal [123] error=1001',
      '5001 call #2 StatusChange Released Internal [123]',
    ]);
  });

  test(`${name}: consultation transfer keeps the original call`, () => {
    const h = make();
    h.loginReady('5001', '5002');
    const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
    h.op('5001', callUuid, { name: 'Answer' });
    h.op('5001', callUuid, { name: 'InitiateTransfer', destination: { phoneNumber: '5002' } });
    const consult = h.sw.callsOf('5002')[0];
    h.op('5002', consult, { name: 'Answer' });
    h.take();
    h.op('5001', callUuid, { name: 'CompleteTransfer' });
    assert.deepEqual(h.take(), [
      '5001 call #1 StatusChange Released Inbound [+15551234,5002]',
      '5002 call #1 StatusChange Established Inbound [+15551234]',
      '5001 call #2 StatusChange Released Consult [5002]',
      '5002 call #2 StatusChange Released Consult [5001]',
    ]);
    assert.deepEqual(h.mediaOf(callUuid), { '+15551234': ['5002'], '5002': ['+15551234'] });
  });

  test(`${name}: BargeIn at once, then MuteMonitoredUser: the media matrix`, () => {
    const h = make();
    h.loginReady('5001');
    h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
    const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
    h.op('5001', callUuid, { name: 'Answer' });
    h.ok(h.sw.monitor('5101', { mode: 'BargeIn', scope: 'Agent', span: 'AllCalls', targetDn: '5001' }));
    assert.deepEqual(h.mediaOf(callUuid), { '+15551234': ['5001', '5101'], '5001': ['+15551234', '5101'], '5101': ['+15551234', '5001'] });
    h.op('5101', callUuid, { name: 'MuteMonitoredUser' });
    assert.deepEqual(h.mediaOf(callUuid), { '+15551234': ['5101'], '5001': ['+15551234', '5101'], '5101': ['+15551234', '5001'] });
    assert.deepEqual(h.take((l) => l.includes('audit')), [
      '5101 audit Armed BargeIn/AllCalls/Agent ->5001',
      '5101 audit Joined BargeIn/AllCalls/Agent ->5001 agent=5001 #1',
      '5101 audit MonitoredUserMuted BargeIn/AllCalls/Agent ->5001 agent=5001 #1',
    ]);
  });

  test(`${name}: user data is bounded per call (keys and bytes), refused with InvalidValue naming the limit`, () => {
    const h = make();
    h.loginReady('5001');
    const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
    h.op('5001', callUuid, { name: 'Answer' });
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    h.op('5001', callUuid, { name: 'AttachUserData', userData: many });
    const more = h.sw.callOperation('5001', callUuid, { name: 'UpdateUserData', userData: { another: 1 } });
    assert.equal(more.ok, false);
    assert.equal(!more.ok && more.error.code, 'InvalidValue');
    assert.match(!more.ok ? more.error.message : '', /at most 100 keys/);
    h.op('5001', callUuid, { name: 'DeleteUserData' });
    const big = h.sw.callOperation('5001', callUuid, { name: 'AttachUserData', userData: { blob: 'x'.repeat(70_000) } });
    assert.match(!big.ok ? big.error.message : '', /at most 65536 bytes/);
    assert.deepEqual(h.sw.callView(callUuid, '5001')?.userData, {}, 'a refused change changes nothing');
    const dial = h.sw.dial('5001', { phoneNumber: '5002' }, { blob: 'x'.repeat(70_000) });
    assert.equal(dial.ok, false);
  });

  test(`${name}: random interleavings keep the switch invariants (through the port only)`, () => {
    runProperty(make);
  });
}

// =============================================================================== the property

const SEED = Number(process.env.FC_SEED ?? 20261124);
const RUNS = Number(process.env.FC_RUNS ?? 120);
const USER_DATA = new Set(['AttachUserData', 'UpdateUserData', 'DeleteUserData', 'DeleteUserDataPair', 'SendDtmf']);
const NUMBERS = [...AGENTS, ...SUPERVISORS, '7000', '+15550100', '+15550200', '123', '9001'];
const ALL_DNS = [...AGENTS, ...SUPERVISORS];

/** one random step's intent (also the replay property's, test/cluster/unit/replay.test.ts) */
export const intent = fc.record({
  kind: fc.constantFrom('inbound', 'inbound', 'inbound', 'agentOp', 'agentOp', 'agentOp', 'agentOp', 'agentOp', 'dial', 'extHangup', 'state', 'arm', 'arm', 'cancel', 'supOp', 'supOp', 'tick', 'tick', 'logout'),
  a: fc.nat(1000),
  b: fc.nat(1000),
  c: fc.nat(1000),
});
export type Intent = { kind: string; a: number; b: number; c: number };

const pick = <T>(xs: readonly T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);

function operationFor(name: string, i: Intent, sw: SwitchPort, dn: string, callUuid: string): CallOperation {
  const dest = { phoneNumber: pick(NUMBERS, i.c)! };
  switch (name) {
    case 'InitiateTransfer': case 'InitiateConference': case 'SingleStepTransfer': case 'SingleStepConference':
      return { name, destination: dest } as CallOperation;
    case 'RemoveParticipantFromConference':
      return { name, participant: pick(sw.callView(callUuid, dn)?.participants ?? [], i.c) ?? 'x' };
    case 'SendDtmf': return { name, digits: '12' };
    case 'AttachUserData': case 'UpdateUserData': return { name, userData: { k: i.c } };
    case 'DeleteUserDataPair': return { name, key: 'k' };
    default: return { name } as CallOperation;
  }
}

/** one random step; `known` collects the call uuids the port has told about */
export function step(h: { sw: SwitchPort; clock: VirtualClock }, i: Intent, known: Set<string>): void {
  const sw: SwitchPort = h.sw;
  switch (i.kind) {
    case 'inbound': {
      const r = sw.simulateInbound(pick(['+15551111', '+15552222', '+15553333'], i.a)!, pick(['7000', '7000', ...AGENTS], i.b)!);
      if (r.ok) known.add(r.value.callUuid);
      break;
    }
    case 'dial': {
      const r = sw.dial(pick(AGENTS, i.a)!, { phoneNumber: pick(NUMBERS, i.b)! });
      if (r.ok) known.add(r.value.callUuid);
      break;
    }
    case 'agentOp':
    case 'supOp': {
      const pool = (i.kind === 'agentOp' ? AGENTS : SUPERVISORS).filter((d) => sw.callsOf(d).length > 0);
      const dn = pick(pool, i.a);
      if (!dn) break;
      const uuid = pick(sw.callsOf(dn), i.b)!;
      const caps = sw.callView(uuid, dn)!.capabilities;
      const enders = new Set(['Hangup', 'Reject', 'ClearCall']);
      const moves = caps.filter((c) => !USER_DATA.has(c) && (i.b % 5 === 0 || !enders.has(c)));
      const name =
        i.c % 9 === 0 ? pick(['Answer', 'Hold', 'Retrieve', 'CompleteTransfer', 'SwitchToCoach', 'ClearCall'], i.c)!
        : i.c % 9 === 1 ? pick(caps, i.c)
        : pick(moves.length ? moves : caps, i.c);
      if (name) sw.callOperation(dn, uuid, operationFor(name, i, sw, dn, uuid));
      break;
    }
    case 'extHangup': {
      const uuid = pick([...known].filter((u) => sw.media(u) !== undefined), i.a);
      if (uuid) sw.simulateExternalHangup(uuid);
      break;
    }
    case 'state':
      sw.setAgentState(pick(AGENTS, i.a)!, i.b % 3 === 0 ? { state: 'NotReady' } : { state: 'Ready' });
      break;
    case 'arm':
      sw.monitor(pick(SUPERVISORS, i.a)!, {
        mode: pick(['ListenIn', 'Coach', 'BargeIn'] as const, i.b)!,
        scope: pick(['Agent', 'Call'] as const, i.c)!,
        span: pick(['NextCall', 'AllCalls'] as const, i.b + i.c)!,
        targetDn: pick([...AGENTS, '7000'], i.c)!,
      });
      break;
    case 'cancel':
      sw.cancelMonitoring(pick(SUPERVISORS, i.a)!);
      break;
    case 'tick':
      h.clock.advance(i.a * 5);
      break;
    case 'logout': {
      const dn = pick(ALL_DNS, i.a)!;
      sw.logout(dn);
      sw.login(dn, { userId: 'u' + dn, isAgent: AGENTS.includes(dn) });
      if (AGENTS.includes(dn)) sw.setAgentState(dn, { state: 'Ready' });
      break;
    }
  }
}

function strip<T extends { duration?: number }>(v: T): Omit<T, 'duration'> {
  const { duration: _d, ...rest } = v;
  return rest;
}

function checkInvariants(h: Harness, stepEvents: SwitchEvent[], known: Set<string>, nextCallJoins: Map<string, number>): void {
  const sw: SwitchPort = h.sw;
  assert.deepEqual(h.errors.map((e) => String((e.o as { err?: unknown }).err)), [], 'the switch logged internal failures');
  // every notification's call equals what GET returns right after (the last one per call and DN)
  const lastCall = new Map<string, CallEvent>();
  const lastDevice = new Map<string, DeviceEvent>();
  const lastMedia = new Map<string, MediaParty[]>();
  for (const e of stepEvents) {
    if (e.kind === 'call' && e.notificationType !== 'Error' && e.notificationType !== 'DtmfSent') lastCall.set(`${e.callUuid}|${e.dn}`, e);
    if (e.kind === 'device') lastDevice.set(e.dn, e);
    if (e.kind === 'media') lastMedia.set(e.callUuid, e.parties);
    if (e.kind === 'call') known.add(e.callUuid);
  }
  for (const e of lastCall.values()) {
    const now = sw.callView(e.callUuid, e.dn);
    if (e.view.state === 'Released') {
      assert.equal(now, undefined, `${e.dn} still sees released call ${e.callUuid}`);
      assert.deepEqual(e.view.capabilities, [], 'a Released call carries no capabilities');
    } else {
      assert.ok(now, `${e.dn} was told about call ${e.callUuid} (${e.view.state}) but GET finds nothing`);
      assert.deepEqual(strip(now), strip(e.view), `notification and GET differ for ${e.dn} on ${e.callUuid}`);
    }
  }
  for (const e of lastDevice.values()) assert.deepEqual(sw.device(e.dn), e.view, `device ${e.dn} differs from its last notification`);
  // the last media fact of a call equals what the media query answers ([] once it has ended)
  for (const [uuid, parties] of lastMedia) assert.deepEqual(sw.media(uuid) ?? [], parties, `media fact and query differ on ${uuid}`);

  for (const uuid of known) {
    const media = sw.media(uuid);
    if (!media) continue;
    const numbers = media.map((m) => m.phoneNumber);
    assert.ok(numbers.length > 0, 'a live call has live parties');
    // no party in two states: one live leg per DN per call
    assert.equal(new Set(numbers).size, numbers.length, `a DN has two legs on call ${uuid}: ${numbers}`);
    const supervisors = numbers.filter((n) => SUPERVISORS.includes(n) && sw.callView(uuid, n)?.monitoring);
    const members = numbers.filter((n) => !supervisors.includes(n));
    assert.ok(members.length >= 2, `call ${uuid} lives with ${members.length} member(s)`);
    for (const s of supervisors) {
      const monitoring = sw.device(s)?.monitoring;
      assert.ok(monitoring, `supervisor ${s} has a leg on ${uuid} without monitoring configured`);
      if (monitoring.state === 'ListenIn') for (const m of media) assert.ok(!m.hears.includes(s), `${m.phoneNumber} hears ListenIn supervisor ${s}`);
      if (monitoring.scope === 'Agent') {
        const agent = sw.callView(uuid, s)!.dnis;
        assert.ok(members.includes(agent), `Agent-scope supervisor ${s} on ${uuid} without agent ${agent}`);
      }
    }
    const muted = numbers.some((n) => sw.callView(uuid, n)?.muted);
    if (numbers.length === 2 && supervisors.length === 0 && !muted) {
      const [x, y] = media;
      assert.equal(x.hears.includes(y.phoneNumber), y.hears.includes(x.phoneNumber), `asymmetric media on ${uuid}`);
    }
  }
  for (const dn of ALL_DNS) {
    const calls = sw.callsOf(dn);
    assert.ok(calls.length <= 2, `${dn} has ${calls.length} calls`);
    for (const u of calls) assert.ok(sw.media(u), `${dn} lists unknown call ${u}`);
  }
  for (const [k, n] of nextCallJoins) assert.ok(n <= 1, `NextCall configuration ${k} joined ${n} calls`);
}

function runProperty(make: MakeHarness): void {
  fc.assert(
    fc.property(fc.array(intent, { minLength: 20, maxLength: 120, size: 'max' }), fc.boolean(), (intents, autoAnswer) => {
      const h = make(defaultSettings({ wrapUpTime: 0, externalAnswerDelayMs: 500, supervision: { intrusion: true, autoAnswer, maxSupervisorsPerAgent: 2, notifyAgent: 'always' } }));
      h.loginReady(...AGENTS);
      for (const s of SUPERVISORS) h.ok(h.sw.login(s, { userId: 'u' + s, isAgent: false }));
      let armings = 0;
      const current = new Map<string, string>();
      const joins = new Map<string, number>();
      const known = new Set<string>();
      h.sw.onEvent((e) => {
        if (e.kind !== 'monitor') return;
        if (e.event === 'Armed') current.set(e.supervisorDn, `${e.supervisorDn}#${++armings}`);
        if (e.event === 'Joined' && e.span === 'NextCall') {
          const k = current.get(e.supervisorDn)!;
          joins.set(k, (joins.get(k) ?? 0) + 1);
        }
      });
      for (const i of intents) {
        const before = h.events.length;
        step(h, i, known);
        checkInvariants(h, h.events.slice(before), known, joins);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
}
