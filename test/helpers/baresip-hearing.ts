/**
 * Who a real phone heard, and when: turns phase windows recorded on the wall clock into windows of a
 * phone's recording, measures every party's tone there (goertzel.ts) and compares the set of parties
 * heard with the expected set (shared/spec/media.md section 5).
 *
 * Alignment: a baresip `*-dec.wav` holds one sample per decoded sample, written as packets arrive
 * (the server sends one packet per 20 ms tick), so second s of the recording is about s seconds
 * after its first packet (the later of CALL_ESTABLISHED and CALL_RTPESTAB), less the audio the server
 * skipped meanwhile (a mixer that stalls over 200 ms drops the backlog: those ticks are never sent, and
 * everything after them moves earlier in the recording; `skippedBy` says how much, from the mixer's
 * own count). `timelineProblem` verifies that per phone (the recording is as long as the call lasted
 * less what was skipped, within a tolerance) before any window is trusted; every window is trimmed by
 * TRIM_SEC at both ends to absorb the rest.
 * Guarantees: a party's own tone counts like any other (hearing yourself is an echo, and a failure);
 * an unclear tone (between -40 and -30 dBFS, or present in part of the window) is always a mismatch;
 * a window the recording does not cover is a failed row (with the reason), never a pass.
 */
import { analyseWindow, describeAnalysis, heardTones } from './goertzel.js';
import type { WindowAnalysis } from './goertzel.js';
import type { PcmAudio } from './wav.js';

/** trimmed at both ends of every phase window (media.md section 5 says 0.6 s; 0.7 s leaves room for stalls) */
export const TRIM_SEC = 0.7;
/**
 * how far a recording's length may fall short of the call's wall-clock duration: ticks a stalled
 * machine drops (the mixer skips a backlog over 200 ms) shorten the recording and shift what follows;
 * windows stay inside their phases while the whole shift is below the trim
 */
export const TIMELINE_TOLERANCE_SEC = TRIM_SEC;

/** A party that plays a tone, by the name the expectations use (a DN, or "customer"). */
export interface TonedParty {
  name: string;
  toneHz: number;
}

/** One phone's recording and the wall-clock time its second 0 corresponds to. */
export interface Listening {
  /** the listener's party name */
  name: string;
  audio: PcmAudio;
  /** Date.now() when the recording's first sample arrived (the later of CALL_ESTABLISHED and CALL_RTPESTAB) */
  establishedAt: number;
  /**
   * seconds of audio the sender had skipped (cumulative) by a wall-clock time; such audio never reaches
   * the recording, so it is taken out of the recording's timeline. Default: nothing skipped.
   */
  skippedBy?: (wallTime: number) => number;
  /**
   * Date.now() at the phone's CALL_CLOSED: when given, the recording is aligned on its end (its last
   * sample is then), which stays right when a leg got no packets for a while after its 200 OK (a
   * nailed-up leg idle before its first call); the stretch before the first packet is silence.
   */
  closedAt?: number;
}

/** Seconds into the recording that correspond to a wall-clock time (negative: before its first packet). */
export function recordingSecondOf(listening: Listening, wallTime: number): number {
  const skippedBy = listening.skippedBy ?? (() => 0);
  if (listening.closedAt !== undefined) {
    const untilEnd = (listening.closedAt - wallTime) / 1000 - (skippedBy(listening.closedAt) - skippedBy(wallTime));
    return listening.audio.durationSec - untilEnd;
  }
  return (wallTime - listening.establishedAt) / 1000 - (skippedBy(wallTime) - skippedBy(listening.establishedAt));
}

/**
 * A step function from samples taken over time (Date.now(), cumulative skipped seconds): the value of
 * the last sample at or before the time asked, 0 before the first.
 */
export function skippedTimeline(samples: ReadonlyArray<{ at: number; skippedSec: number }>): (wallTime: number) => number {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  return (wallTime) => {
    let value = 0;
    for (const sample of sorted) if (sample.at <= wallTime) value = sample.skippedSec;
    return value;
  };
}

/** A stretch of the scenario during which nothing changes, on the wall clock (Date.now()). */
export interface Phase {
  name: string;
  startedAt: number;
  endedAt: number;
  /** per listener name: the names of the parties it must hear (a listener absent here is not checked) */
  expected: Record<string, string[]>;
}

export interface PhaseResult {
  phase: string;
  listener: string;
  expected: string[];
  heard: string[];
  unclear: string[];
  analysis: WindowAnalysis;
  ok: boolean;
  /** why the window could not be analysed (then ok is false) */
  problem?: string;
}

function sortedNames(names: Iterable<string>): string[] {
  return [...names].sort();
}

/** What one listener heard in one phase, compared with what it should have heard. */
export function hearingIn(listening: Listening, phase: Phase, parties: readonly TonedParty[], trimSec = TRIM_SEC): PhaseResult {
  const startSec = recordingSecondOf(listening, phase.startedAt) + trimSec;
  const endSec = recordingSecondOf(listening, phase.endedAt) - trimSec;
  const expected = sortedNames(phase.expected[listening.name] ?? []);
  if (listening.closedAt !== undefined && endSec <= 0) {
    // the whole window lies before the phone's first packet: it heard nothing at all
    const silent: WindowAnalysis = { startSec, endSec, blocks: 0, tones: [] };
    const ok = expected.length === 0;
    return { phase: phase.name, listener: listening.name, expected, heard: [], unclear: [], analysis: silent, ok, problem: 'no packet yet: silence' };
  }
  let analysis: WindowAnalysis;
  try {
    analysis = analyseWindow(listening.audio.samples, listening.audio.sampleRate, parties.map((party) => party.toneHz), Math.max(0, startSec), endSec);
  } catch (err) {
    // an empty or missing window is a failed row, reported with the others
    const empty: WindowAnalysis = { startSec, endSec, blocks: 0, tones: [] };
    return { phase: phase.name, listener: listening.name, expected, heard: [], unclear: [], analysis: empty, ok: false, problem: (err as Error).message };
  }
  const nameOf = (toneHz: number): string => parties.find((party) => party.toneHz === toneHz)?.name ?? `${toneHz} Hz`;
  const { heard, unclear } = heardTones(analysis);
  const heardNames = sortedNames(heard.map(nameOf));
  const unclearNames = sortedNames(unclear.map(nameOf));
  const ok = unclearNames.length === 0 && heardNames.join() === expected.join();
  return { phase: phase.name, listener: listening.name, expected, heard: heardNames, unclear: unclearNames, analysis, ok };
}

/** Every (phase, listener) pair that has an expectation. */
export function hearingAll(listenings: readonly Listening[], phases: readonly Phase[], parties: readonly TonedParty[]): PhaseResult[] {
  const results: PhaseResult[] = [];
  for (const phase of phases) {
    for (const listening of listenings) {
      if (phase.expected[listening.name] !== undefined) results.push(hearingIn(listening, phase, parties));
    }
  }
  return results;
}

/** A table of the results, one line per (phase, listener), for logs and failure messages. */
export function describeResults(results: readonly PhaseResult[]): string {
  const show = (names: string[]): string => (names.length ? names.join('+') : '-');
  return results
    .map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.phase.padEnd(28)} ${r.listener.padEnd(9)} expected ${show(r.expected).padEnd(22)} heard ${show(r.heard).padEnd(22)}${r.unclear.length ? ` unclear ${show(r.unclear)}` : ''} | ${r.problem ?? describeAnalysis(r.analysis)}`)
    .join('\n');
}

/**
 * Whether a recording covers the call as the wall clock saw it: its length must be within
 * TIMELINE_TOLERANCE_SEC of (closedAt - establishedAt). Returns a problem description, or undefined.
 */
export function timelineProblem(listening: Listening, closedAt: number): string | undefined {
  if (listening.closedAt !== undefined) {
    // aligned on its end: the recording may start late (no packets yet), never before the call did
    // second of the recording at the call's start: negative when the first packet came late (allowed)
    const startSec = recordingSecondOf(listening, listening.establishedAt);
    if (startSec <= TIMELINE_TOLERANCE_SEC) return undefined;
    return `${listening.name}: the recording holds ${listening.audio.durationSec.toFixed(2)} s, ${startSec.toFixed(2)} s more than the call lasted (less the audio the server skipped)`;
  }
  const expectedSec = recordingSecondOf(listening, closedAt);
  const gap = Math.abs(listening.audio.durationSec - expectedSec);
  if (gap <= TIMELINE_TOLERANCE_SEC) return undefined;
  return `${listening.name}: the recording holds ${listening.audio.durationSec.toFixed(2)} s but should hold ${expectedSec.toFixed(2)} s (the call's wall-clock length less the audio the server skipped): lost or missing packets shift the timeline`;
}
