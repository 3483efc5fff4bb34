/**
 * The phase checks of test/helpers/baresip-hearing.ts on synthetic recordings, no phones: windows are
 * placed by the wall clock relative to the recording's first sample, corrected by the audio the server
 * skipped (without the correction the same recording fails), an echo of one's own tone fails, and a
 * window past the end of a recording is a failed row, not a pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hearingAll, recordingSecondOf, skippedTimeline, timelineProblem } from '../helpers/baresip-hearing.js';
import type { Listening, Phase } from '../helpers/baresip-hearing.js';
import type { PcmAudio } from '../helpers/wav.js';

const RATE = 8000;
const PARTIES = [
  { name: 'customer', toneHz: 440 },
  { name: 'agent', toneHz: 1000 },
];

/** seconds of each tone, one after the other, at -12 dBFS */
function recording(parts: Array<{ toneHz: number; seconds: number }>): PcmAudio {
  const total = parts.reduce((sum, part) => sum + Math.round(part.seconds * RATE), 0);
  const samples = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    const length = Math.round(part.seconds * RATE);
    for (let n = 0; n < length; n++) samples[offset + n] = 0.25 * Math.sin((2 * Math.PI * part.toneHz * n) / RATE);
    offset += length;
  }
  return { sampleRate: RATE, samples, durationSec: total / RATE };
}

// on the wall clock a supervisor hears the customer for 3.5 s, then the agent for 3 s; the server
// skipped 1 s of audio at 1.0 s (0.4 s were skipped before the call), so the recording changes tone at 2.5 s
const T0 = 1_000_000;
const PHASES: Phase[] = [
  { name: 'customer talks', startedAt: T0, endedAt: T0 + 3500, expected: { supervisor: ['customer'] } },
  { name: 'agent talks', startedAt: T0 + 3500, endedAt: T0 + 6500, expected: { supervisor: ['agent'] } },
];
const AUDIO = recording([
  { toneHz: 440, seconds: 2.5 },
  { toneHz: 1000, seconds: 3 },
]);
const SKIPPED = skippedTimeline([
  { at: T0, skippedSec: 0.4 },
  { at: T0 + 1000, skippedSec: 1.4 },
]);

test('windows follow the wall clock less the audio the server skipped; without the correction they straddle the change', () => {
  const corrected: Listening = { name: 'supervisor', audio: AUDIO, establishedAt: T0, skippedBy: SKIPPED };
  assert.equal(recordingSecondOf(corrected, T0 + 3500), 2.5);
  const results = hearingAll([corrected], PHASES, PARTIES);
  assert.deepEqual(results.map((r) => [r.phase, r.heard, r.ok]), [['customer talks', ['customer'], true], ['agent talks', ['agent'], true]]);
  assert.equal(timelineProblem(corrected, T0 + 6500), undefined);

  const uncorrected: Listening = { name: 'supervisor', audio: AUDIO, establishedAt: T0 };
  const naive = hearingAll([uncorrected], PHASES, PARTIES);
  assert.equal(naive[0].ok, false, 'the first window reaches into the agent\'s tone');
  assert.match(timelineProblem(uncorrected, T0 + 6500) ?? '', /holds 5.50 s but should hold 6.50 s/);
});

test('a listener hearing its own tone fails; a window past the recording is a failed row with the reason', () => {
  const echo: Listening = { name: 'customer', audio: recording([{ toneHz: 440, seconds: 3 }]), establishedAt: T0 };
  const [heardSelf] = hearingAll([echo], [{ name: 'echo', startedAt: T0, endedAt: T0 + 3000, expected: { customer: [] } }], PARTIES);
  assert.deepEqual([heardSelf.heard, heardSelf.ok], [['customer'], false]);

  const short: Listening = { name: 'customer', audio: recording([{ toneHz: 1000, seconds: 1 }]), establishedAt: T0 };
  const [late] = hearingAll([short], [{ name: 'late', startedAt: T0 + 2000, endedAt: T0 + 4000, expected: { customer: ['agent'] } }], PARTIES);
  assert.equal(late.ok, false);
  assert.match(late.problem ?? '', /no whole 100 ms block/);
});

test('aligned on the end: a late first packet is silence before it and no timeline problem; a recording longer than its call is one', () => {
  // the supervisor's leg got its first packet 1 s after the call began, then heard the agent for 2 s
  const late: Listening = { name: 'supervisor', audio: recording([{ toneHz: 1000, seconds: 2 }]), establishedAt: T0, closedAt: T0 + 3000 };
  const phases: Phase[] = [
    { name: 'idle', startedAt: T0, endedAt: T0 + 1000, expected: { supervisor: [] } },
    { name: 'agent', startedAt: T0 + 1000, endedAt: T0 + 3000, expected: { supervisor: ['agent'] } },
  ];
  assert.deepEqual(hearingAll([late], phases, PARTIES).map((r) => [r.phase, r.ok, r.problem]), [['idle', true, 'no packet yet: silence'], ['agent', true, undefined]]);
  assert.equal(timelineProblem(late, T0 + 3000), undefined);
  const long: Listening = { ...late, audio: recording([{ toneHz: 1000, seconds: 4 }]) };
  assert.match(timelineProblem(long, T0 + 3000) ?? '', /holds 4.00 s, 1.00 s more than the call lasted/);
});
