// RTP legs over real loopback UDP sockets on free ports: symmetric latching (SDP address first,
// then the packets' source; foreign sources dropped; re-latch after silence), the jitter queue
// (cap, drop oldest, silence when empty), re-chunking of 10/30 ms packets, SSRC and sequence
// changes, late packets, the port allocator. Every wait is for an event, bounded by a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { RtpLeg } from '../../src/media/leg.js';
import type { RtpLegOptions } from '../../src/media/leg.js';
import { JitterQueue } from '../../src/media/jitter.js';
import { RtpPortAllocator, splitPortRange } from '../../src/media/ports.js';
import { A_LAW, MU_LAW, encode } from '../../src/media/g711.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp.js';
import { withTimeout } from '../helpers/wait.js';

interface Phone {
  socket: dgram.Socket;
  port: number;
  received: Uint8Array[];
  nextPacket(): Promise<Uint8Array>;
  send(leg: RtpLeg, bytes: Uint8Array): void;
  close(): void;
}

async function openPhone(): Promise<Phone> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Uint8Array[] = [];
  const waiting: ((bytes: Uint8Array) => void)[] = [];
  socket.on('message', (message) => {
    const bytes = new Uint8Array(message);
    const waiter = waiting.shift();
    if (waiter) waiter(bytes);
    else received.push(bytes);
  });
  return {
    socket,
    port: (socket.address() as AddressInfo).port,
    received,
    nextPacket: () =>
      withTimeout(
        new Promise<Uint8Array>((resolve) => {
          const ready = received.shift();
          if (ready) resolve(ready);
          else waiting.push(resolve);
        }),
        2000,
        'a packet at the phone',
      ),
    send: (leg, bytes) => socket.send(bytes, leg.localPort, '127.0.0.1'),
    close: () => socket.close(),
  };
}

/** A leg whose datagram count can be awaited. */
async function openLeg(options: Partial<RtpLegOptions> = {}, allocator?: RtpPortAllocator) {
  let handled = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const leg = await RtpLeg.open(allocator, {
    codec: 'PCMU',
    telephoneEventPayloadType: 101,
    ...options,
    onDatagram: () => {
      handled++;
      for (const waiter of [...waiters]) {
        if (handled >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
  });
  const handledAtLeast = (count: number) =>
    withTimeout(
      new Promise<void>((resolve) => (handled >= count ? resolve() : waiters.push({ count, resolve }))),
      2000,
      `${count} datagrams at the leg`,
    );
  return { leg, handledAtLeast };
}

const tone = (length: number, value: number) => new Int16Array(length).fill(value);
const packet = (sequenceNumber: number, payload: Uint8Array, ssrc = 1234, payloadType = 0) =>
  serializeRtp({ marker: false, payloadType, sequenceNumber, timestamp: sequenceNumber * 160, ssrc }, payload);

test('before any packet the leg sends to the SDP address; then it latches to the source', async () => {
  const sdpPhone = await openPhone();
  const realPhone = await openPhone();
  const { leg, handledAtLeast } = await openLeg({ remote: { address: '127.0.0.1', port: sdpPhone.port } });
  try {
    leg.sendAudio(tone(160, 1000), 0);
    const first = parseRtp(await sdpPhone.nextPacket());
    assert.ok(first.ok && first.packet.payloadType === 0 && first.packet.payload.length === 160);

    realPhone.send(leg, packet(1, encode(MU_LAW, tone(160, 0))));
    await handledAtLeast(1);
    assert.deepEqual(leg.latchedSource, { address: '127.0.0.1', port: realPhone.port });
    leg.sendAudio(tone(160, 1000), 1);
    const second = parseRtp(await realPhone.nextPacket());
    assert.ok(second.ok && first.ok);
    if (second.ok && first.ok) {
      assert.equal(second.packet.sequenceNumber, (first.packet.sequenceNumber + 1) & 0xffff);
      assert.equal(second.packet.timestamp, (first.packet.timestamp + 160) >>> 0);
      assert.equal(second.packet.ssrc, first.packet.ssrc);
    }
    assert.equal(sdpPhone.received.length, 0, 'nothing more went to the SDP address');
  } finally {
    await leg.close();
    sdpPhone.close();
    realPhone.close();
  }
});

test('once latched, another source is dropped until the latched one has been silent long enough', async () => {
  let now = 0;
  const phone = await openPhone();
  const intruder = await openPhone();
  const { leg, handledAtLeast } = await openLeg({ relatchAfterMs: 2000, now: () => now });
  const firstSamples = () => {
    const values: number[] = [];
    for (let frame = leg.takeFrame(); frame; frame = leg.takeFrame()) values.push(frame[0]);
    return values;
  };
  const heard = (value: number) => MU_LAW.decodeTable[MU_LAW.encodeTable[value]];
  try {
    phone.send(leg, packet(1, encode(MU_LAW, tone(160, 100))));
    await handledAtLeast(1);
    await waitUntil(() => leg.connectedToSource, 'the leg connected to the latched phone');
    now = 1999;
    intruder.send(leg, packet(50, encode(MU_LAW, tone(160, 200)), 999)); // dropped (by the kernel)
    phone.send(leg, packet(2, encode(MU_LAW, tone(160, 100))));
    await handledAtLeast(2);
    assert.equal(leg.latchedSource?.port, phone.port);
    assert.deepEqual(firstSamples(), [heard(100), heard(100)], "the intruder's audio never reached the queue");

    now = 1999 + 2000; // the latched phone has been silent for 2 s: the next send lets go of it
    leg.sendAudio(tone(160, 0), 0);
    assert.equal(leg.connectedToSource, false);
    assert.equal(leg.stats.unsentRebinding, 1, 'the send of the re-opening tick is skipped');
    await waitUntil(() => leg.socketOpen, 'the socket re-opened on the same port');
    intruder.send(leg, packet(51, encode(MU_LAW, tone(160, 200)), 999));
    await handledAtLeast(3);
    assert.equal(leg.latchedSource?.port, intruder.port, 're-latched to the new source');
    await waitUntil(() => leg.connectedToSource, 'the leg connected to the new source');
    phone.send(leg, packet(3, encode(MU_LAW, tone(160, 100)))); // now the old source is the foreign one
    intruder.send(leg, packet(52, encode(MU_LAW, tone(160, 200)), 999));
    await handledAtLeast(4);
    assert.deepEqual(firstSamples(), [heard(200), heard(200)]);
    leg.sendAudio(tone(160, 0), 1);
    await intruder.nextPacket();

    leg.setRemote({ address: '127.0.0.1', port: phone.port });
    assert.equal(leg.latchedSource, undefined, 'a new SDP clears the latch');
    assert.equal(leg.connectedToSource, false);
  } finally {
    await leg.close();
    phone.close();
    intruder.close();
  }
});

test("the SDP address takes the leg back from a stranger who latched first (spraying the port range), and keeps it", async () => {
  const customer = await openPhone();
  const stranger = await openPhone();
  const { leg, handledAtLeast } = await openLeg({ remote: { address: '127.0.0.1', port: customer.port } });
  try {
    stranger.send(leg, packet(7, encode(MU_LAW, tone(160, 200)), 999));
    await handledAtLeast(1);
    assert.equal(leg.latchedSource?.port, stranger.port, 'the first source latches');
    assert.equal(leg.connectedToSource, false, 'but not connected: it is not the SDP address');
    customer.send(leg, packet(1, encode(MU_LAW, tone(160, 100))));
    await handledAtLeast(2);
    assert.equal(leg.latchedSource?.port, customer.port, "the SDP address's first packet takes it back");
    await waitUntil(() => leg.connectedToSource, 'the leg connected to the SDP address');
    stranger.send(leg, packet(8, encode(MU_LAW, tone(160, 200)), 999));
    customer.send(leg, packet(2, encode(MU_LAW, tone(160, 100))));
    await handledAtLeast(3);
    assert.equal(leg.latchedSource?.port, customer.port);
    const arrived = stranger.received.length;
    leg.sendAudio(tone(160, 1000), 0);
    await customer.nextPacket();
    assert.equal(stranger.received.length, arrived, 'the audio goes to the customer, not the stranger');
  } finally {
    await leg.close();
    customer.close();
    stranger.close();
  }
});

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

test('10 ms and 30 ms packets are re-chunked into 160-sample frames', async () => {
  const phone = await openPhone();
  const { leg, handledAtLeast } = await openLeg({ codec: 'PCMA' });
  try {
    phone.send(leg, packet(1, encode(A_LAW, tone(80, 1000)), 7, 8));
    await handledAtLeast(1);
    assert.equal(leg.takeFrame(), null, 'half a frame is not a frame yet');
    phone.send(leg, packet(2, encode(A_LAW, tone(80, 2000)), 7, 8));
    phone.send(leg, packet(3, encode(A_LAW, tone(240, 3000)), 7, 8));
    await handledAtLeast(3);
    const first = leg.takeFrame()!;
    assert.equal(first[0], A_LAW.decodeTable[A_LAW.encodeTable[1000]]);
    assert.equal(first[159], A_LAW.decodeTable[A_LAW.encodeTable[2000]]);
    const second = leg.takeFrame()!;
    assert.equal(second[0], A_LAW.decodeTable[A_LAW.encodeTable[3000]]);
    assert.equal(leg.takeFrame(), null, '80 samples of the 30 ms packet wait for more');
  } finally {
    await leg.close();
    phone.close();
  }
});

test('SSRC change and a sequence jump restart the stream; duplicates and late packets are dropped', async () => {
  const phone = await openPhone();
  const { leg, handledAtLeast } = await openLeg();
  try {
    phone.send(leg, packet(100, encode(MU_LAW, tone(160, 10))));
    phone.send(leg, packet(100, encode(MU_LAW, tone(160, 20)))); // duplicate
    phone.send(leg, packet(95, encode(MU_LAW, tone(160, 30)))); // late
    phone.send(leg, packet(7, encode(MU_LAW, tone(160, 40)), 4321)); // new SSRC, any sequence
    phone.send(leg, packet(30000, encode(MU_LAW, tone(160, 50)), 4321)); // sequence jump
    await handledAtLeast(5);
    assert.equal(leg.stats.lateDropped, 2);
    assert.equal(leg.stats.streamRestarts, 2);
    const values = [leg.takeFrame(), leg.takeFrame(), leg.takeFrame()].map((f) => f && f[0]);
    assert.deepEqual(values, [MU_LAW.decodeTable[MU_LAW.encodeTable[10]], MU_LAW.decodeTable[MU_LAW.encodeTable[40]], MU_LAW.decodeTable[MU_LAW.encodeTable[50]]]);
  } finally {
    await leg.close();
    phone.close();
  }
});

test('garbage, unknown payload types and a foreign version are counted, never thrown', async () => {
  const phone = await openPhone();
  const { leg, handledAtLeast } = await openLeg();
  try {
    phone.send(leg, Uint8Array.from([1, 2, 3]));
    phone.send(leg, packet(1, new Uint8Array(160), 1, 18));
    await handledAtLeast(2);
    assert.equal(leg.stats.malformedDropped, 1);
    assert.equal(leg.stats.unknownPayloadDropped, 1);
    assert.equal(leg.latchedSource, undefined, 'invalid packets never latch');
  } finally {
    await leg.close();
    phone.close();
  }
});

test('jitter queue: cap of 4 frames, oldest dropped when full, null (silence) when empty', () => {
  const queue = new JitterQueue(4);
  for (let frame = 1; frame <= 6; frame++) queue.pushSamples(tone(160, frame));
  assert.equal(queue.length, 4);
  assert.equal(queue.droppedFrames, 2);
  assert.deepEqual([1, 2, 3, 4].map(() => queue.take()![0]), [3, 4, 5, 6]);
  assert.equal(queue.take(), null);
  queue.pushSamples(tone(100, 9));
  queue.reset();
  queue.pushSamples(tone(160, 8));
  assert.equal(queue.take()![0], 8, 'reset dropped the partial frame');
});

test('port allocator: even ports, no reuse while allocated, release, split into disjoint ranges', async () => {
  const allocator = new RtpPortAllocator({ first: 20001, last: 20007 });
  assert.deepEqual([allocator.allocate(), allocator.allocate(), allocator.allocate()], [20002, 20004, 20006]);
  assert.equal(allocator.allocate(), undefined);
  allocator.release(20004);
  assert.equal(allocator.allocate(), 20004);
  assert.deepEqual(splitPortRange({ first: 20000, last: 20999 }, 3), [
    { first: 20000, last: 20333 },
    { first: 20334, last: 20667 },
    { first: 20668, last: 20999 },
  ]);
  assert.throws(() => new RtpPortAllocator({ first: 80, last: 90 }), /1024-65535/);

  // a leg from a real range: an even port, given back on close
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const ranged = new RtpPortAllocator({ first: base, last: base + 99 });
  const { leg } = await openLeg({}, ranged);
  assert.equal(leg.localPort % 2, 0);
  assert.ok(leg.localPort >= base && leg.localPort <= base + 99);
  assert.equal(ranged.allocated, 1);
  await leg.close();
  assert.equal(ranged.allocated, 0);
});

test('a port taken by another process is skipped; an exhausted range is a clear error', async () => {
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const squatter = dgram.createSocket('udp4');
  const squatted = await new Promise<number>((resolve, reject) => {
    squatter.once('error', reject);
    squatter.bind(base, '127.0.0.1', () => resolve((squatter.address() as AddressInfo).port));
  }).catch(() => undefined);
  const allocator = new RtpPortAllocator({ first: base, last: base + 3 });
  const legs: RtpLeg[] = [];
  try {
    const { leg } = await openLeg({}, allocator);
    legs.push(leg);
    if (squatted !== undefined) assert.equal(leg.localPort, base + 2, 'the taken port was skipped');
    await assert.rejects(openLeg({}, allocator), /no free RTP port in the configured range/);
    assert.equal(allocator.allocated, 1, 'the skipped port went back to the allocator');
  } finally {
    await Promise.all(legs.map((leg) => leg.close()));
    squatter.close();
  }
});
