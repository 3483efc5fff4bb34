// G.711 tables against reference bit patterns (ITU-T G.711 tables 1a/2a, the midpoints of the
// classic decode tables) and the round-trip and monotonicity properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A_LAW, MU_LAW, decode, encode, lawForPayloadType } from '../../src/media/g711.js';

test('µ-law decodes reference codes to the G.711 interval midpoints', () => {
  const first16 = [
    -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860, -19836,
    -18812, -17788, -16764,
  ];
  assert.deepEqual(Array.from(MU_LAW.decodeTable.subarray(0, 16)), first16);
  assert.equal(MU_LAW.decodeTable[0x10], -15996);
  assert.equal(MU_LAW.decodeTable[0x70], -120);
  assert.equal(MU_LAW.decodeTable[0x7e], -8);
  assert.equal(MU_LAW.decodeTable[0x7f], 0);
  assert.equal(MU_LAW.decodeTable[0x80], 32124);
  assert.equal(MU_LAW.decodeTable[0xfe], 8);
  assert.equal(MU_LAW.decodeTable[0xff], 0);
});

test('A-law decodes reference codes to the G.711 interval midpoints', () => {
  const first16 = [
    -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736, -7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
  ];
  assert.deepEqual(Array.from(A_LAW.decodeTable.subarray(0, 16)), first16);
  assert.equal(A_LAW.decodeTable[0xd5], 8);
  assert.equal(A_LAW.decodeTable[0x55], -8);
  assert.equal(A_LAW.decodeTable[0xaa], 32256);
  assert.equal(A_LAW.decodeTable[0x2a], -32256);
});

test('encoding reference samples gives the G.711 code words', () => {
  const cases: [number, number, number][] = [
    // sample, µ-law, A-law
    [0, 0xff, 0xd5],
    [-1, 0x7f, 0x55],
    [32767, 0x80, 0xaa],
    [-32768, 0x00, 0x2a],
    [1000, 0xce, 0xfa],
    [-1000, 0x4e, 0x7a],
  ];
  for (const [sample, mu, a] of cases) {
    assert.equal(MU_LAW.encodeTable[sample & 0xffff], mu, `µ-law of ${sample}`);
    assert.equal(A_LAW.encodeTable[sample & 0xffff], a, `A-law of ${sample}`);
  }
});

test('every code survives decode then encode (except µ-law negative zero)', () => {
  for (let code = 0; code < 256; code++) {
    const muBack = MU_LAW.encodeTable[MU_LAW.decodeTable[code] & 0xffff];
    assert.equal(muBack, code === 0x7f ? 0xff : code, `µ-law code ${code}`);
    assert.equal(A_LAW.encodeTable[A_LAW.decodeTable[code] & 0xffff], code, `A-law code ${code}`);
  }
});

test('the quantised value is monotonic in the sample and within half a step', () => {
  for (const law of [MU_LAW, A_LAW]) {
    let previous = -Infinity;
    for (let sample = -32768; sample <= 32767; sample++) {
      const value = law.decodeTable[law.encodeTable[sample & 0xffff]];
      assert.ok(value >= previous, `${law.name} monotonic at ${sample}`);
      previous = value;
      // the largest step is 1024 (µ-law) / 1024 (A-law top segment): half of it plus the clip margin
      assert.ok(Math.abs(value - sample) <= 644, `${law.name} error at ${sample}: ${value}`);
    }
  }
});

test('whole-buffer helpers and payload-type lookup', () => {
  const pcm = Int16Array.from([0, 8, -8, 32124, -32124]);
  assert.deepEqual(Array.from(decode(MU_LAW, encode(MU_LAW, pcm))), [0, 8, -8, 32124, -32124]);
  assert.equal(lawForPayloadType(0), MU_LAW);
  assert.equal(lawForPayloadType(8), A_LAW);
  assert.equal(lawForPayloadType(101), undefined);
});
