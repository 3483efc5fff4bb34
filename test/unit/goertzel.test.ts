/**
 * The tone analysis of the telephony tests (test/helpers/goertzel.ts) and the WAV reader
 * (test/helpers/wav.ts) on synthetic signals: known levels, mixtures, silence, µ-law-like noise, a
 * phase jump, a tone present in only part of the window, and WAV files with unusual headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEARD_ABOVE_DB, NOT_HEARD_BELOW_DB, Verdict, analyseWindow, goertzelLevelDb, hannWindow, heardTones, verdictOf,
} from '../helpers/goertzel.js';
import { encodeWav, parseWav } from '../helpers/wav.js';

const RATE = 8000;
const TONES = [440, 1000, 1800, 2400] as const;

function sine(frequencyHz: number, amplitude: number, seconds: number, phase = 0): Float64Array {
  const out = new Float64Array(Math.round(seconds * RATE));
  for (let n = 0; n < out.length; n++) out[n] = amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / RATE + phase);
  return out;
}

function sum(...signals: Float64Array[]): Float64Array {
  const out = new Float64Array(Math.max(...signals.map((s) => s.length)));
  for (const s of signals) for (let n = 0; n < s.length; n++) out[n] += s[n];
  return out;
}

/** a deterministic pseudo-random generator (no Math.random in tests) */
function noise(amplitude: number, seconds: number, seed = 7): Float64Array {
  let state = seed;
  const out = new Float64Array(Math.round(seconds * RATE));
  for (let n = 0; n < out.length; n++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[n] = amplitude * ((state / 0xffffffff) * 2 - 1);
  }
  return out;
}

function levelOf(analysis: ReturnType<typeof analyseWindow>, frequencyHz: number) {
  const tone = analysis.tones.find((t) => t.frequencyHz === frequencyHz);
  assert.ok(tone, `tone ${frequencyHz} measured`);
  return tone;
}

test('a full-scale sine reads 0 dBFS and amplitude 0.25 reads about -12 dBFS', () => {
  const window = hannWindow(800);
  assert.ok(Math.abs(goertzelLevelDb(sine(1000, 1, 0.1), 0, window, 1000, RATE)) < 0.1);
  const quarter = goertzelLevelDb(sine(1000, 0.25, 0.1), 0, window, 1000, RATE);
  assert.ok(Math.abs(quarter - 20 * Math.log10(0.25)) < 0.1, `level ${quarter}`);
});

test('a mixture of three tones: each is heard at its own level, the fourth is not', () => {
  const signal = sum(sine(440, 0.25, 2), sine(1000, 0.1, 2), sine(1800, 0.25, 2, 1.3));
  const analysis = analyseWindow(signal, RATE, TONES, 0, 2);
  assert.equal(analysis.blocks, 20);
  assert.ok(Math.abs(levelOf(analysis, 440).medianDb + 12.04) < 0.3);
  assert.ok(Math.abs(levelOf(analysis, 1000).medianDb + 20) < 0.3);
  assert.ok(Math.abs(levelOf(analysis, 1800).medianDb + 12.04) < 0.3);
  assert.ok(levelOf(analysis, 2400).medianDb < -80, `2400 leaks ${levelOf(analysis, 2400).medianDb}`);
  assert.deepEqual(heardTones(analysis), { heard: [440, 1000, 1800], unclear: [] });
});

test('silence and quantisation-level noise hear nothing', () => {
  assert.deepEqual(heardTones(analyseWindow(new Float64Array(RATE), RATE, TONES, 0, 1)), { heard: [], unclear: [] });
  const analysis = analyseWindow(noise(0.002, 1.5), RATE, TONES, 0, 1.5);
  for (const tone of analysis.tones) assert.equal(tone.verdict, Verdict.NotHeard, `${tone.frequencyHz}: ${tone.medianDb}`);
});

test('a tone off-bin by a few hertz is still measured (a phone clock is not exact)', () => {
  const analysis = analyseWindow(sine(1003, 0.25, 1), RATE, [1000], 0, 1);
  assert.equal(levelOf(analysis, 1000).verdict, Verdict.Heard);
  assert.ok(levelOf(analysis, 1000).medianDb > -14);
});

test('a phase jump in the middle of the window costs at most one block', () => {
  const signal = new Float64Array(2 * RATE);
  signal.set(sine(1800, 0.25, 1.03), 0);
  signal.set(sine(1800, 0.25, 0.97, 2.5), Math.round(1.03 * RATE));
  const tone = levelOf(analyseWindow(signal, RATE, [1800], 0, 2), 1800);
  assert.equal(tone.verdict, Verdict.Heard);
  assert.ok(tone.fractionHeard >= 0.95 - 1e-9, `fraction ${tone.fractionHeard}`);
});

test('a tone in only part of the window is unclear, not heard and not silent', () => {
  const signal = new Float64Array(2 * RATE);
  signal.set(sine(440, 0.25, 1), 0);
  const tone = levelOf(analyseWindow(signal, RATE, [440], 0, 2), 440);
  assert.equal(tone.verdict, Verdict.Unclear);
  assert.ok(Math.abs(tone.fractionHeard - 0.5) < 0.06);
});

test('the window bounds select the blocks: a tone that starts at 1 s is absent before and heard after', () => {
  const signal = new Float64Array(3 * RATE);
  signal.set(sine(2400, 0.25, 2), RATE);
  assert.equal(levelOf(analyseWindow(signal, RATE, [2400], 0, 0.9), 2400).verdict, Verdict.NotHeard);
  assert.equal(levelOf(analyseWindow(signal, RATE, [2400], 1.1, 3), 2400).verdict, Verdict.Heard);
});

test('verdict thresholds: heard above -30 dBFS, not heard below -40 dBFS, unclear between', () => {
  assert.equal(verdictOf(HEARD_ABOVE_DB + 1, 1), Verdict.Heard);
  assert.equal(verdictOf(HEARD_ABOVE_DB + 1, 0.5), Verdict.Heard);
  assert.equal(verdictOf(HEARD_ABOVE_DB + 1, 0.4), Verdict.Unclear);
  assert.equal(verdictOf(-35, 0), Verdict.Unclear);
  assert.equal(verdictOf(NOT_HEARD_BELOW_DB - 1, 0), Verdict.NotHeard);
  assert.equal(verdictOf(NOT_HEARD_BELOW_DB - 1, 0.3), Verdict.Unclear);
  const quiet = levelOf(analyseWindow(sine(1000, 0.02, 1), RATE, [1000], 0, 1), 1000); // -34 dBFS
  assert.equal(quiet.verdict, Verdict.Unclear);
});

test('an empty window throws instead of passing', () => {
  assert.throws(() => analyseWindow(new Float64Array(RATE), RATE, TONES, 0.95, 1.2), /no whole 100 ms block/);
  assert.throws(() => analyseWindow(new Float64Array(RATE), RATE, TONES, 2, 3), /recording holds 1.00 s/);
});

test('WAV: a round trip keeps the samples to 16-bit precision', () => {
  const signal = sine(440, 0.25, 0.5);
  const audio = parseWav(encodeWav(signal, RATE));
  assert.equal(audio.sampleRate, RATE);
  assert.equal(audio.samples.length, signal.length);
  assert.equal(audio.durationSec, 0.5);
  for (let n = 0; n < signal.length; n++) assert.ok(Math.abs(audio.samples[n] - signal[n]) <= 1 / 32768);
});

test('WAV: a data size left at 0 or past the end (a file still being written) reads to the end, whole frames only', () => {
  const file = encodeWav(sine(1000, 0.25, 0.1), RATE);
  const open = Buffer.from(file);
  open.writeUInt32LE(0, 40);
  assert.equal(parseWav(open).samples.length, 800);
  const cut = Buffer.concat([file.subarray(0, 44 + 401)]);
  assert.equal(parseWav(cut).samples.length, 200);
});

test('WAV: extra chunks are skipped; stereo is averaged; non-PCM and truncated files are refused with the reason', () => {
  const mono = encodeWav([0.5, -0.5], RATE);
  const list = Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'binary');
  const withList = Buffer.concat([mono.subarray(0, 36), list, mono.subarray(36)]);
  assert.deepEqual([...parseWav(withList).samples], [0.5, -0.5]);

  const stereo = Buffer.from(encodeWav([0.5, 0.25, -0.5, 0], RATE));
  stereo.writeUInt16LE(2, 22);
  assert.deepEqual([...parseWav(stereo).samples], [0.375, -0.25]);

  const float = Buffer.from(mono);
  float.writeUInt16LE(3, 20);
  assert.throws(() => parseWav(float, 'f.wav'), /WAV f.wav: format tag 3/);
  const eight = Buffer.from(mono);
  eight.writeUInt16LE(8, 34);
  assert.throws(() => parseWav(eight), /8 bits per sample/);
  assert.throws(() => parseWav(Buffer.from('RIFF0000WAVE')), /no fmt chunk/);
  assert.throws(() => parseWav(Buffer.from('hello world, not audio')), /not a RIFF\/WAVE file/);
});
