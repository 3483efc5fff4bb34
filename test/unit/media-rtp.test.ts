// RTP packet parse/serialize (RFC 3550 5.1, 5.3.1): every header field, CSRCs, extension,
// padding, malformed input reported as a reason, and sequence-number arithmetic across the wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtp, sequenceDistance, serializeRtp, writeRtpHeader } from '../../src/media/rtp.js';

function parsed(bytes: Uint8Array) {
  const result = parseRtp(bytes);
  if (!result.ok) throw new Error(result.reason);
  return result.packet;
}

test('a hand-written packet parses field by field', () => {
  // V=2 P=0 X=0 CC=1 | M=1 PT=8 | seq 0xABCD | ts 0x01020304 | ssrc 0xDEADBEEF | csrc 7 | payload 3 bytes
  const bytes = Uint8Array.from([
    0x81, 0x88, 0xab, 0xcd, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7, 0xd5, 0xd5, 0x2a,
  ]);
  const packet = parsed(bytes);
  assert.equal(packet.version, 2);
  assert.equal(packet.marker, true);
  assert.equal(packet.payloadType, 8);
  assert.equal(packet.sequenceNumber, 0xabcd);
  assert.equal(packet.timestamp, 0x01020304);
  assert.equal(packet.ssrc, 0xdeadbeef);
  assert.deepEqual(packet.csrcs, [7]);
  assert.deepEqual(Array.from(packet.payload), [0xd5, 0xd5, 0x2a]);
  assert.equal(packet.payload.buffer, bytes.buffer, 'payload is a view, not a copy');
});

test('serialize then parse round-trips CSRCs, extension, padding and the maximum field values', () => {
  const header = {
    marker: false,
    payloadType: 127,
    sequenceNumber: 65535,
    timestamp: 0xffffffff,
    ssrc: 0x80000001,
    csrcs: [1, 2, 0xffffffff],
    extension: { profile: 0xbede, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
  };
  const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
  const bytes = serializeRtp(header, payload, 3);
  assert.equal(bytes.length, 12 + 12 + 4 + 8 + 160 + 3);
  const packet = parsed(bytes);
  assert.equal(packet.paddingBytes, 3);
  assert.equal(packet.payloadType, 127);
  assert.equal(packet.sequenceNumber, 65535);
  assert.equal(packet.timestamp, 0xffffffff);
  assert.equal(packet.ssrc, 0x80000001);
  assert.deepEqual(packet.csrcs, [1, 2, 0xffffffff]);
  assert.equal(packet.extension?.profile, 0xbede);
  assert.deepEqual(Array.from(packet.extension!.data), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(packet.payload), Array.from(payload));
});

test('writeRtpHeader writes in place at an offset and returns where the payload starts', () => {
  const target = new Uint8Array(40);
  const start = writeRtpHeader(target, { marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 9 }, 4);
  assert.equal(start, 16);
  const packet = parsed(target.subarray(4));
  assert.equal(packet.marker, true);
  assert.equal(packet.timestamp, 160);
  assert.equal(packet.payload.length, 24);
});

test('malformed packets are reasons, not exceptions', () => {
  const cases: [string, number[]][] = [
    ['too short', [0x80, 0, 0, 1]],
    ['version', [0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['CSRC', [0x83, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['extension', [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2, 0, 0, 0, 0]],
    ['padding', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xd5, 9]],
    ['padding', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xd5, 0]],
  ];
  for (const [word, bytes] of cases) {
    const result = parseRtp(Uint8Array.from(bytes));
    assert.equal(result.ok, false, word);
    if (!result.ok) assert.match(result.reason, new RegExp(word, 'i'));
  }
});

test('sequence distance wraps modulo 2^16', () => {
  assert.equal(sequenceDistance(65535, 0), 1);
  assert.equal(sequenceDistance(0, 65535), -1);
  assert.equal(sequenceDistance(100, 90), -10);
  assert.equal(sequenceDistance(10, 10 + 32767), 32767);
});
