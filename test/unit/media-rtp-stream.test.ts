/**
 * The RTP stream of one party carried by successive legs (src/media/rtp-stream.ts), on an injected
 * wall clock: a successor's first packet is always further along than anything its predecessor can
 * have sent, with the same SSRC; timestamps follow the ticks; malformed identities are named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEG_OFFSET_STEP, RtpStreamCursor, checkRtpStream, newRtpStream, successorOf } from '../../src/media/rtp-stream.js';
import { sequenceDistance } from '../../src/media/rtp.js';

test('a successor leg continues the stream ahead of its predecessor, even one that ran a tick early', () => {
  let wall = 1_000_000;
  const first = newRtpStream(wall);
  const firstLeg = new RtpStreamCursor({ ...first, sequenceBase: 65530 }, () => wall);
  // the predecessor sends 51 packets over one second, the last one a tick before its time
  let lastSequence = 0;
  for (let tick = 7; tick <= 57; tick++) {
    firstLeg.timestampOf(tick);
    lastSequence = firstLeg.nextSequence();
  }
  wall += 1000 - 1;
  const secondLeg = new RtpStreamCursor({ ...successorOf(first), sequenceBase: 65530 }, () => wall);
  const secondTimestamp = secondLeg.timestampOf(3);
  const next = secondLeg.nextSequence();
  assert.equal(secondLeg.ssrc, firstLeg.ssrc);
  assert.ok(sequenceDistance(lastSequence, next) > 0, `successor ${next} after predecessor ${lastSequence}`);
  assert.ok(sequenceDistance(lastSequence, next) <= LEG_OFFSET_STEP + 2, 'a gap of a few packets at most');
  assert.equal(secondLeg.timestampOf(4), (secondTimestamp + 160) >>> 0, '160 samples per tick');
});

test('one cursor: +1 per packet and +160 per tick from where the stream stands at its first use', () => {
  const stream = { ssrc: 7, sequenceBase: 100, timestampBase: 2 ** 32 - 160, originMs: 0, offset: 0 };
  const cursor = new RtpStreamCursor(stream, () => 40);
  assert.equal(cursor.timestampOf(10), 160, 'two packets into the stream, wrapping at 2^32');
  assert.deepEqual([cursor.nextSequence(), cursor.nextSequence()], [102, 103]);
  assert.equal(cursor.timestampOf(12), 160 + 2 * 160);
});

test('identities from another thread are checked field by field', () => {
  assert.equal(checkRtpStream(newRtpStream()), undefined);
  assert.match(checkRtpStream({ ...newRtpStream(), sequenceBase: 70000 }) ?? '', /sequenceBase 70000/);
  assert.match(checkRtpStream({ ...newRtpStream(), ssrc: -1 }) ?? '', /ssrc -1/);
  assert.match(checkRtpStream(null as never) ?? '', /not an object/);
});
