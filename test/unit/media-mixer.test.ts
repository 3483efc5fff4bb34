// The mixing core with exact sample sums for every matrix of supervision.md section 5, clipping,
// hold audio, virtual tone speakers, matrix changes from the next tick, one packet per leg per
// tick with tick-based timestamps, DTMF relay, and PCMU <-> PCMA transcoding through real
// loopback legs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { mixCallFrames, planMix, sineTable } from '../../src/media/mix.js';
import { HOLD_TONE_AMPLITUDE, HOLD_TONE_HZ, MediaCommandError, Mixer, VIRTUAL_SPEAKER_AMPLITUDE } from '../../src/media/mixer.js';
import type { AddLegRequest, MixerLeg } from '../../src/media/mixer.js';
import type { OutgoingEventPacket, ReceivedDigit } from '../../src/media/dtmf.js';
import { A_LAW, MU_LAW, encode } from '../../src/media/g711.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp.js';
import { executeMediaCommand, TickStatistics } from '../../src/media/commands.js';
import { withTimeout } from '../helpers/wait.js';

const frame = (value: number) => new Int16Array(160).fill(value);
const C = 1000;
const A = 100;
const S = 10;
const inputs = () => new Map([['C', frame(C)], ['A', frame(A)], ['S', frame(S)]]);
type Row = [string, string[]];
const matrix = (rows: Row[]) => rows.map(([phoneNumber, hears]) => ({ phoneNumber, hears }));

/** supervision.md section 5, expected matrices, with the exact sample every listener must get. */
const SITUATIONS: { name: string; rows: Row[]; expected: Record<string, number> }[] = [
  { name: 'A and C, no supervisor', rows: [['C', ['A']], ['A', ['C']]], expected: { C: A, A: C, S: 0 } },
  { name: 'ListenIn', rows: [['C', ['A']], ['A', ['C']], ['S', ['C', 'A']]], expected: { C: A, A: C, S: C + A } },
  { name: 'Coach', rows: [['C', ['A']], ['A', ['C', 'S']], ['S', ['C', 'A']]], expected: { C: A, A: C + S, S: C + A } },
  {
    name: 'BargeIn',
    rows: [['C', ['A', 'S']], ['A', ['C', 'S']], ['S', ['C', 'A']]],
    expected: { C: A + S, A: C + S, S: C + A },
  },
  {
    name: 'BargeIn + MuteMonitoredUser',
    rows: [['C', ['S']], ['A', ['C', 'S']], ['S', ['C', 'A']]],
    expected: { C: S, A: C + S, S: C + A },
  },
  // hold: the listener that hears nobody gets the hold frame (here a recognisable 7)
  { name: 'ListenIn, A holds', rows: [['C', []], ['A', []], ['S', ['C']]], expected: { C: 7, A: 7, S: C } },
  { name: 'BargeIn, A holds', rows: [['C', ['S']], ['A', []], ['S', ['C']]], expected: { C: S, A: 7, S: C } },
];

for (const situation of SITUATIONS) {
  test(`mix sums: ${situation.name}`, () => {
    const mixed = mixCallFrames(matrix(situation.rows), inputs(), frame(7));
    for (const [listener, value] of Object.entries(situation.expected)) {
      assert.deepEqual(Array.from(mixed.get(listener)!), Array.from(frame(value)), `${listener} in ${situation.name}`);
    }
  });
}

test('sums are clipped once, to the 16-bit range', () => {
  const frames = new Map([['L', frame(0)], ['P', frame(30000)], ['Q', frame(30000)], ['N', frame(-30000)]]);
  const loud = mixCallFrames(matrix([['L', ['P', 'Q']]]), frames);
  assert.equal(loud.get('L')![0], 32767);
  const balanced = mixCallFrames(matrix([['L', ['P', 'Q', 'N']]]), frames);
  assert.equal(balanced.get('L')![0], 30000, 'exact sum before the clip');
  const negative = new Map([['L', frame(0)], ['P', frame(-30000)], ['Q', frame(-30000)]]);
  assert.equal(mixCallFrames(matrix([['L', ['P', 'Q']]]), negative).get('L')![0], -32768);
});

test('a conference of any size: each of 12 parties hears the other 11', () => {
  const names = Array.from({ length: 12 }, (_, i) => `P${i}`);
  const frames = new Map(names.map((name, i) => [name, frame(i + 1)]));
  const rows: Row[] = names.map((name) => [name, names.filter((other) => other !== name)]);
  const mixed = mixCallFrames(matrix(rows), frames);
  const total = (12 * 13) / 2;
  names.forEach((name, i) => assert.equal(mixed.get(name)![80], total - (i + 1)));
});

test('the plan ignores self, unknown speakers and duplicates; no row means silence, not hold', () => {
  const plan = planMix(matrix([['A', ['A', 'ghost', 'B', 'B']]]), ['A', 'B']);
  assert.deepEqual(plan.listeners[0], { output: 'mix', speakers: [1] });
  assert.deepEqual(plan.listeners[1], { output: 'silence', speakers: [] });
  assert.deepEqual(plan.heardByAnyone, [1]);
  const mixed = mixCallFrames(matrix([['A', ['B']]]), new Map([['A', frame(5)], ['B', null]]), frame(7));
  assert.equal(mixed.get('A')![0], 0, 'a silent speaker is silence');
  assert.equal(mixed.get('B')![0], 0);
});

/** A leg without a socket that remembers what the mixer sent it. */
class FakeLeg implements MixerLeg {
  static nextPort = 30000;
  readonly localPort = (FakeLeg.nextPort += 2);
  readonly canSendEvents: boolean;
  readonly codec;
  readonly queue: Int16Array[] = [];
  get queuedFrames() {
    return this.queue.length;
  }
  readonly sent: { kind: 'audio' | 'event'; tick?: number; first: number; event?: number[]; timestamp?: number; marker?: boolean }[] = [];
  closed = false;
  constructor(
    request: AddLegRequest,
    readonly onDigit: (digit: ReceivedDigit) => void,
  ) {
    this.codec = request.codec;
    this.canSendEvents = request.telephoneEventPayloadType !== undefined;
  }
  takeFrame() {
    return this.queue.shift() ?? null;
  }
  sendAudio(pcm: Int16Array, tick: number) {
    this.sent.push({ kind: 'audio', tick, first: pcm[0] });
  }
  sendEvent(packet: OutgoingEventPacket) {
    this.sent.push({ kind: 'event', first: 0, event: Array.from(packet.payload), timestamp: packet.timestamp, marker: packet.marker });
  }
  timestampOf(tick: number) {
    return 1000 + tick * 160;
  }
  setRemote() {}
  async close() {
    this.closed = true;
  }
}

function fakeMixer() {
  const legs = new Map<string, FakeLeg>();
  const digits: string[] = [];
  let adding = '';
  const mixer = new Mixer({
    legFactory: async (request, onDigit) => {
      const leg = new FakeLeg(request, onDigit);
      legs.set(adding, leg);
      return leg;
    },
    onDigit: (_call, phoneNumber, digit) => digits.push(`${phoneNumber}:${digit.digit}`),
  });
  const add = async (phoneNumber: string, telephoneEvent = true) => {
    adding = phoneNumber;
    await mixer.addLeg('call-1', phoneNumber, { codec: 'PCMU', telephoneEventPayloadType: telephoneEvent ? 101 : undefined });
    return legs.get(phoneNumber)!;
  };
  return { mixer, add, digits };
}

test('a matrix change applies from the next tick, with one packet per leg on every tick', async () => {
  const { mixer, add } = fakeMixer();
  const customer = await add('C');
  const agent = await add('A');
  const supervisor = await add('S');
  mixer.setMatrix('call-1', matrix([['C', ['A']], ['A', ['C']], ['S', ['C', 'A']]]));
  const feed = () => {
    customer.queue.push(frame(C));
    agent.queue.push(frame(A));
    supervisor.queue.push(frame(S));
  };
  feed();
  mixer.runTick(0);
  mixer.setMatrix('call-1', matrix([['C', ['A', 'S']], ['A', ['C', 'S']], ['S', ['C', 'A']]])); // BargeIn
  feed();
  mixer.runTick(1);
  assert.deepEqual(customer.sent.map((p) => [p.tick, p.first]), [[0, A], [1, A + S]]);
  assert.deepEqual(agent.sent.map((p) => [p.tick, p.first]), [[0, C], [1, C + S]]);
  assert.deepEqual(supervisor.sent.map((p) => [p.tick, p.first]), [[0, C + A], [1, C + A]]);
  mixer.runTick(2); // nobody sent anything: silence, still one packet each
  assert.deepEqual([customer, agent, supervisor].map((leg) => leg.sent.length), [3, 3, 3]);
  assert.equal(customer.sent[2].first, 0);
  await mixer.close();
  assert.ok(customer.closed && agent.closed && supervisor.closed);
});

test('hold audio per call: silence or the hold tone to a listener that hears nobody', async () => {
  const { mixer, add } = fakeMixer();
  const customer = await add('C');
  mixer.setMatrix('call-1', matrix([['C', []]]));
  mixer.runTick(0);
  mixer.setHoldAudio('call-1', 'tone');
  mixer.runTick(1);
  mixer.runTick(2);
  const table = sineTable(HOLD_TONE_HZ, HOLD_TONE_AMPLITUDE);
  assert.deepEqual(customer.sent.map((p) => p.first), [0, table[160], table[320]]);
  assert.throws(() => mixer.setHoldAudio('call-1', 'music' as never), MediaCommandError);
  await mixer.close();
});

test('a party without a leg given a tone is a virtual speaker; bad frequencies are refused', async () => {
  const { mixer, add } = fakeMixer();
  const agent = await add('A');
  mixer.setTone('call-1', 'sim-customer', 1000);
  mixer.setMatrix('call-1', matrix([['A', ['sim-customer']], ['sim-customer', ['A']]]));
  for (let tick = 0; tick < 3; tick++) mixer.runTick(tick);
  const table = sineTable(1000, VIRTUAL_SPEAKER_AMPLITUDE);
  assert.deepEqual(agent.sent.map((p) => p.first), [table[0], table[160], table[320]]);
  assert.throws(() => mixer.setTone('call-1', 'x', 100), /outside 200-3400 Hz/);
  assert.throws(() => mixer.setTone('call-1', 'x', 5000), /outside 200-3400 Hz/);
  mixer.setTone('call-1', 'sim-customer', undefined);
  mixer.runTick(3);
  assert.equal(agent.sent[3].first, 0, 'the tone was taken away');
  await mixer.close();
});

test('a received digit is reported and relayed as RFC 4733 events to the legs that hear the sender', async () => {
  const { mixer, add, digits } = fakeMixer();
  const customer = await add('C');
  const agent = await add('A');
  const supervisor = await add('S');
  mixer.setMatrix('call-1', matrix([['C', ['A']], ['A', ['C']], ['S', ['C', 'A']]]));
  customer.onDigit({ digit: '5', duration: 800, volume: 10, ended: true });
  assert.deepEqual(digits, ['C:5']);
  for (let tick = 0; tick < 8; tick++) mixer.runTick(tick);
  const events = (leg: FakeLeg) => leg.sent.filter((p) => p.kind === 'event');
  assert.equal(events(customer).length, 0, 'not echoed to the sender');
  for (const leg of [agent, supervisor]) {
    const sent = events(leg);
    assert.deepEqual(sent.map((p) => (p.event![2] << 8) | p.event![3]), [160, 320, 480, 640, 800, 800, 800]);
    assert.deepEqual(sent.map((p) => (p.event![1] & 0x80) !== 0), [false, false, false, false, true, true, true]);
    assert.deepEqual(sent.map((p) => p.marker), [true, false, false, false, false, false, false]);
    assert.ok(sent.every((p) => p.event![0] === 5 && p.timestamp === 1000));
    assert.equal(leg.sent[7].kind, 'audio', 'audio resumes after the three end packets');
  }
  assert.throws(() => mixer.sendDtmf('call-1', '12x'), /'x' is not a DTMF digit/);
  assert.throws(() => mixer.sendDtmf('nope', '1'), /no media for call nope/);
  await mixer.close();
});

test('commands naming unknown calls or parties fail with a clear MediaCommandError', async () => {
  const { mixer, add } = fakeMixer();
  await add('A', false);
  await assert.rejects(add('A'), /already has a leg/);
  assert.throws(() => mixer.sendDtmf('call-1', '1', ['A']), /no telephone-event payload type/);
  await assert.rejects(mixer.removeLeg('call-1', 'B'), /party B has no media in call call-1/);
  assert.throws(() => mixer.pauseRecording('call-1'), /not recording/);
  assert.throws(() => mixer.startRecording('call-1'), /no recordings folder/);
  await mixer.close();
});

test('PCMU in, PCMA out (and back) through real loopback legs', async () => {
  const mixer = new Mixer();
  const phones = await Promise.all([0, 1].map(() => openSocket()));
  try {
    const customerPort = (await mixer.addLeg('call-1', 'C', { codec: 'PCMU', remote: { address: '127.0.0.1', port: phones[0].port } })).port;
    const supervisorPort = (await mixer.addLeg('call-1', 'S', { codec: 'PCMA', remote: { address: '127.0.0.1', port: phones[1].port } })).port;
    mixer.setMatrix('call-1', matrix([['C', ['S']], ['S', ['C']]]));
    const customerSamples = Int16Array.from({ length: 160 }, (_, i) => (i - 80) * 300);
    const supervisorSamples = Int16Array.from({ length: 160 }, (_, i) => (80 - i) * 200);
    const muCodes = encode(MU_LAW, customerSamples);
    const aCodes = encode(A_LAW, supervisorSamples);
    const arrived = Promise.all([phones[0].next(), phones[1].next()]);
    phones[0].socket.send(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 11 }, muCodes), customerPort, '127.0.0.1');
    phones[1].socket.send(serializeRtp({ marker: false, payloadType: 8, sequenceNumber: 1, timestamp: 0, ssrc: 22 }, aCodes), supervisorPort, '127.0.0.1');
    // run ticks only once both packets are in: the legs expose their jitter queues
    await waitUntil(() => mixer.queuedFrames('call-1', 'C') === 1 && mixer.queuedFrames('call-1', 'S') === 1, 'both packets queued');
    mixer.runTick(0);
    const [atCustomer, atSupervisor] = await arrived;
    const toCustomer = parseRtp(atCustomer);
    const toSupervisor = parseRtp(atSupervisor);
    assert.ok(toCustomer.ok && toSupervisor.ok);
    if (!toCustomer.ok || !toSupervisor.ok) return;
    assert.equal(toCustomer.packet.payloadType, 0);
    assert.equal(toSupervisor.packet.payloadType, 8);
    const expectedAtSupervisor = Array.from(muCodes, (code) => A_LAW.encodeTable[MU_LAW.decodeTable[code] & 0xffff]);
    const expectedAtCustomer = Array.from(aCodes, (code) => MU_LAW.encodeTable[A_LAW.decodeTable[code] & 0xffff]);
    assert.deepEqual(Array.from(toSupervisor.packet.payload), expectedAtSupervisor);
    assert.deepEqual(Array.from(toCustomer.packet.payload), expectedAtCustomer);
  } finally {
    await mixer.close();
    phones.forEach((phone) => phone.socket.close());
  }
});

async function openSocket() {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const packets: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (message) => {
    packets.push(new Uint8Array(message));
    wake?.();
  });
  return {
    socket,
    port: (socket.address() as AddressInfo).port,
    next: () =>
      withTimeout(
        new Promise<Uint8Array>((resolve) => {
          const check = () => (packets.length ? resolve(packets.shift()!) : (wake = check));
          check();
        }),
        2000,
        'a mixed packet',
      ),
  };
}

/** Re-check `condition` on each turn of the event loop (I/O runs between), bounded by a timeout. */
function waitUntil(condition: () => boolean, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = () => (condition() ? resolve() : setImmediate(check));
      check();
    }),
    2000,
    what,
  );
}


test('malformed commands (as another thread could send them) are refused with the reason', async () => {
  const { mixer, add } = fakeMixer();
  await add('A');
  const refusals: [() => unknown, RegExp][] = [
    [() => mixer.setMatrix('call-1', 'x' as never), /matrix of call call-1: not a list of rows/],
    [() => mixer.setMatrix('call-1', [{ phoneNumber: 'A' }] as never), /row 0 \(A\): hears must be a list/],
    [() => mixer.setMatrix('call-1', [{ hears: [] }] as never), /row 0 has no phoneNumber/],
    [() => mixer.setTone('call-1', 'A', 440), /has a leg in call call-1; a tone is for parties without one/],
    [() => mixer.sendDtmf('call-1', 42 as never), /digits must be a string/],
  ];
  for (const [command, reason] of refusals) assert.throws(command, (error: Error) => error instanceof MediaCommandError && reason.test(error.message));
  const legRefusals: [object, RegExp][] = [
    [{ codec: 'G722' }, /codec 'G722' is neither PCMU nor PCMA/],
    [{ codec: 'PCMU', telephoneEventPayloadType: 8 }, /not a dynamic payload type/],
    [{ codec: 'PCMU', remote: { address: '127.0.0.1', port: 0 } }, /remote port 0/],
    [{ codec: 'PCMU', remote: { port: 4000 } }, /remote address missing/],
  ];
  for (const [request, reason] of legRefusals) await assert.rejects(mixer.addLeg('call-1', 'B', request as never), reason);
  assert.throws(() => mixer.setLegRemote('call-1', 'A', { address: '', port: 5 }), /remote address missing/);
  const statistics = new TickStatistics();
  await assert.rejects(executeMediaCommand(mixer, { type: 'setTone' } as never, statistics), /'setTone' names no call/);
  await assert.rejects(executeMediaCommand(mixer, { type: 'removeLeg', callId: 'call-1', phoneNumber: 7 } as never, statistics), /names no party/);
  await mixer.close();
});
