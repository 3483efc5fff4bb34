// RFC 4733 telephone-events: the payload codec, the receiver (one report per event, end
// retransmissions and late packets ignored, a lost end recovered at the next event, non-DTMF
// events ignored, a flood cut at MAX_DIGITS_PER_SECOND), the sender's packet sequence, and digits over a
// real loopback leg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { DtmfReceiver, DtmfSender, MAX_DIGITS_PER_SECOND, checkDtmfDigits, parseTelephoneEvent, writeTelephoneEvent } from '../../src/media/dtmf.js';
import type { ReceivedDigit } from '../../src/media/dtmf.js';
import { RtpLeg } from '../../src/media/leg.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp.js';
import { withTimeout } from '../helpers/wait.js';

const eventPayload = (event: number, end: boolean, duration: number, volume = 10) => {
  const payload = new Uint8Array(4);
  writeTelephoneEvent(payload, 0, { event, end, volume, duration });
  return payload;
};

test('the 4-byte payload round-trips (RFC 4733 section 2.3)', () => {
  const payload = eventPayload(11, true, 0x1234, 63);
  assert.deepEqual(Array.from(payload), [11, 0x80 | 63, 0x12, 0x34]);
  assert.deepEqual(parseTelephoneEvent(payload), { event: 11, end: true, volume: 63, duration: 0x1234 });
  assert.equal(parseTelephoneEvent(new Uint8Array(3)), undefined);
});

test('the receiver reports each event once, at its first end packet', () => {
  const receiver = new DtmfReceiver();
  const digits: ReceivedDigit[] = [];
  const feed = (timestamp: number, event: number, end: boolean, duration: number, ssrc = 1) =>
    receiver.receive({ ssrc, timestamp, payload: eventPayload(event, end, duration) }, (d) => digits.push(d));
  feed(1000, 1, false, 160);
  feed(1000, 1, false, 320);
  feed(1000, 1, true, 800);
  feed(1000, 1, true, 800); // retransmitted end
  feed(1000, 1, true, 800);
  feed(1000, 1, false, 480); // late
  feed(5000, 11, false, 160); // '#', its end packets lost
  feed(9000, 10, false, 160); // '*' starts: '#' is reported unended
  feed(9000, 10, true, 640);
  feed(9000, 16, true, 640); // same event id: ignored
  feed(12000, 16, true, 800); // event 16 (flash) is not a DTMF digit
  feed(1000, 1, true, 800, 2); // same timestamp, other SSRC: a new event
  assert.deepEqual(
    digits.map((d) => [d.digit, d.duration, d.ended]),
    [['1', 800, true], ['#', 160, false], ['*', 640, true], ['1', 800, true]],
  );
});

test('a flood of events: at most MAX_DIGITS_PER_SECOND digits are reported per second, the rest counted and dropped', () => {
  let now = 0;
  const receiver = new DtmfReceiver(() => now);
  const digits: string[] = [];
  let timestamp = 0;
  const press = (event: number) => receiver.receive({ ssrc: 7, timestamp: (timestamp += 800), payload: eventPayload(event, true, 640) }, (d) => digits.push(d.digit));
  for (let i = 0; i < 1000; i++) press(i % 10); // a thousand digits within one millisecond
  assert.equal(digits.length, MAX_DIGITS_PER_SECOND);
  assert.equal(receiver.droppedDigits, 1000 - MAX_DIGITS_PER_SECOND);
  assert.equal(digits.join(''), '01234567890123456789'.slice(0, MAX_DIGITS_PER_SECOND), 'the first ones, in order');
  now = 999;
  press(5);
  assert.equal(digits.length, MAX_DIGITS_PER_SECOND, 'still the same second');
  now = 1000;
  press(5);
  assert.equal(digits.at(-1), '5', 'a new second reports again');
  // any one second, not a fixed one: 1 digit at 3,000 ms and 19 at 3,999 ms leave room for only one
  // more at 4,000 ms (a window restarting at 4,000 ms would let 20 through)
  const sliding = new DtmfReceiver(() => now);
  const slid: string[] = [];
  let stamp = 100;
  const slide = (event: number) => sliding.receive({ ssrc: 9, timestamp: (stamp += 800), payload: eventPayload(event, true, 640) }, (d) => slid.push(d.digit));
  now = 3000;
  slide(1);
  now = 3999;
  for (let i = 0; i < MAX_DIGITS_PER_SECOND - 1; i++) slide(2);
  now = 4000;
  for (let i = 0; i < 5; i++) slide(3);
  assert.equal(slid.length, MAX_DIGITS_PER_SECOND + 1, 'one more at 4,000 ms: the digit of 3,000 ms is a second old');
  now = 4999;
  slide(4);
  assert.equal(slid.at(-1), '4', 'a second after the burst, digits pass again');
  // an IVR-speed sender (one digit each 100 ms) loses nothing
  const paced = new DtmfReceiver(() => now);
  const heard: string[] = [];
  for (let i = 0; i < 50; i++) {
    now += 100;
    paced.receive({ ssrc: 8, timestamp: 1000 + i * 800, payload: eventPayload(i % 10, true, 640) }, (d) => heard.push(d.digit));
  }
  assert.equal(heard.length, 50);
  assert.equal(paced.droppedDigits, 0);
});

test('the sender plays each digit with growing durations, three end packets and a pause', () => {
  const sender = new DtmfSender({ durationMs: 60, pauseTicks: 2 });
  sender.enqueue('9a');
  const packets: (string | null)[] = [];
  for (let tick = 0; tick < 14; tick++) {
    const packet = sender.next(tick * 160);
    packets.push(
      packet
        ? `${packet.payload[0]}/${(packet.payload[1] & 0x80) !== 0 ? 'E' : '-'}/${(packet.payload[2] << 8) | packet.payload[3]}/${packet.timestamp}${packet.marker ? '/M' : ''}`
        : null,
    );
  }
  assert.deepEqual(packets, [
    '9/-/160/0/M', '9/-/320/0', '9/E/480/0', '9/E/480/0', '9/E/480/0', null, null,
    '12/-/160/1120/M', '12/-/320/1120', '12/E/480/1120', '12/E/480/1120', '12/E/480/1120', null, null,
  ]);
  assert.equal(sender.busy, false);
  assert.throws(() => sender.enqueue('1x'), /'x' is not a DTMF digit/);
  assert.equal(checkDtmfDigits(''), 'no DTMF digits given');
  assert.equal(checkDtmfDigits('0123456789*#abcd'), undefined);
});

test('a leg reports digits sent by a phone over loopback, once per event', async () => {
  const digits: ReceivedDigit[] = [];
  let wake: (() => void) | undefined;
  const leg = await RtpLeg.open(undefined, {
    codec: 'PCMU',
    telephoneEventPayloadType: 101,
    onDigit: (digit) => {
      digits.push(digit);
      wake?.();
    },
  });
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
  try {
    const send = (sequenceNumber: number, event: number, end: boolean, duration: number, timestamp: number) =>
      phone.send(
        serializeRtp({ marker: duration === 160, payloadType: 101, sequenceNumber, timestamp, ssrc: 77 }, eventPayload(event, end, duration)),
        leg.localPort,
        '127.0.0.1',
      );
    let sequence = 1;
    for (const [event, timestamp] of [[4, 160], [2, 4000]]) {
      for (const duration of [160, 320, 480]) send(sequence++, event, false, duration, timestamp);
      for (let i = 0; i < 3; i++) send(sequence++, event, true, 640, timestamp);
    }
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (digits.length >= 2 ? resolve() : (wake = check));
        check();
      }),
      2000,
      'two digits',
    );
    assert.deepEqual(digits.map((d) => d.digit), ['4', '2']);
  } finally {
    await leg.close();
    phone.close();
  }
});

test('a leg sends event packets on its telephone-event payload type, in its own sequence', async () => {
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
  const port = (phone.address() as { port: number }).port;
  const arrived: Buffer[] = [];
  let wake: (() => void) | undefined;
  phone.on('message', (message) => {
    arrived.push(message);
    wake?.();
  });
  const leg = await RtpLeg.open(undefined, { codec: 'PCMA', telephoneEventPayloadType: 96, remote: { address: '127.0.0.1', port } });
  try {
    const sender = new DtmfSender({ durationMs: 40 });
    sender.enqueue('#');
    leg.sendAudio(new Int16Array(160), 0);
    for (let tick = 1; tick <= 4; tick++) leg.sendEvent(sender.next(leg.timestampOf(tick))!);
    leg.sendAudio(new Int16Array(160), 5);
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (arrived.length >= 6 ? resolve() : (wake = check));
        check();
      }),
      2000,
      'six packets at the phone',
    );
    const packets = arrived.map((message) => {
      const parsed = parseRtp(message);
      assert.ok(parsed.ok);
      return parsed.ok ? parsed.packet : undefined!;
    });
    assert.deepEqual(packets.map((p) => p.payloadType), [8, 96, 96, 96, 96, 8]);
    assert.deepEqual(packets.map((p) => p.marker), [false, true, false, false, false, false]);
    assert.deepEqual(
      packets.map((p) => (p.sequenceNumber - packets[0].sequenceNumber) & 0xffff),
      [0, 1, 2, 3, 4, 5],
    );
    const start = leg.timestampOf(1);
    assert.ok(packets.slice(1, 5).every((p) => p.timestamp === start), 'every event packet carries the start timestamp');
    assert.equal(packets[5].timestamp, leg.timestampOf(5));
    assert.deepEqual(packets.slice(1, 5).map((p) => parseTelephoneEvent(p.payload)), [
      { event: 11, end: false, volume: 10, duration: 160 },
      { event: 11, end: true, volume: 10, duration: 320 },
      { event: 11, end: true, volume: 10, duration: 320 },
      { event: 11, end: true, volume: 10, duration: 320 },
    ]);
  } finally {
    await leg.close();
    phone.close();
  }
});
