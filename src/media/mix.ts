/**
 * The mixing core: pure functions, no sockets, no timers. A matrix of the switch's shape
 * ({phoneNumber, hears: phoneNumber[]}[] for one call, from src/switch/media.ts) is compiled into a
 * plan over the call's participants (slots); one tick then gives each listener the sum of the
 * frames of the speakers it hears, clipped to 16 bits.
 *
 * Guarantees: the rules of who hears whom are never decided here, only read from the matrix. A
 * listener that hears nobody (an empty `hears` list) gets the hold frame (silence or the hold
 * tone, chosen by the caller); a listener that is not in the matrix, or whose speakers are all
 * silent this tick, gets silence. A listener never hears itself, even if a matrix said so. A
 * speaker named in the matrix but without a slot (no leg, no tone) contributes nothing. Sums are
 * exact integers, clipped only once at the end (so +30000 +30000 -30000 = 30000, not 2767).
 */
import type { MediaParty } from '../switch/model.js';
import { FRAME_SAMPLES } from './jitter.js';

export const SILENT_FRAME: Int16Array = new Int16Array(FRAME_SAMPLES);

export const ListenerOutput = {
  /** the sum of `speakers` */
  Mix: 'mix',
  /** the matrix says it hears nobody: hold audio */
  Hold: 'hold',
  /** not in the matrix: silence */
  Silence: 'silence',
} as const;
export type ListenerOutput = (typeof ListenerOutput)[keyof typeof ListenerOutput];

export interface ListenerPlan {
  output: ListenerOutput;
  /** slot indices of the speakers it hears */
  speakers: number[];
}

export interface MixPlan {
  /** per slot */
  listeners: ListenerPlan[];
  /** slots heard by at least one party (what a recording of the call contains) */
  heardByAnyone: number[];
}

/** Compile `matrix` over `slots` (the phone numbers of the call's participants, in slot order). */
export function planMix(matrix: readonly MediaParty[], slots: readonly string[]): MixPlan {
  const slotOf = new Map(slots.map((phoneNumber, index) => [phoneNumber, index]));
  const rowOf = new Map(matrix.map((row) => [row.phoneNumber, row]));
  const heard = new Set<number>();
  const listeners = slots.map((phoneNumber, self): ListenerPlan => {
    const row = rowOf.get(phoneNumber);
    if (!row) return { output: ListenerOutput.Silence, speakers: [] };
    if (row.hears.length === 0) return { output: ListenerOutput.Hold, speakers: [] };
    const speakers: number[] = [];
    for (const speaker of row.hears) {
      const index = slotOf.get(speaker);
      if (index !== undefined && index !== self && !speakers.includes(index)) speakers.push(index);
    }
    for (const index of speakers) heard.add(index);
    return { output: ListenerOutput.Mix, speakers };
  });
  return { listeners, heardByAnyone: [...heard].sort((a, b) => a - b) };
}

/**
 * The clipped sum of `frames[speakers[i]]` (null frames are silent). Returns `out`, or, when exactly
 * one speaker has audio, that speaker's own frame (no copy); SILENT_FRAME when none has.
 */
export function mixSpeakers(
  frames: readonly (Int16Array | null)[],
  speakers: readonly number[],
  out: Int16Array,
  accumulator: Int32Array,
): Int16Array {
  let first: Int16Array | null = null;
  let second: Int16Array | null = null;
  let active = 0;
  for (let s = 0; s < speakers.length; s++) {
    const frame = frames[speakers[s]];
    if (!frame) continue;
    active++;
    if (active === 1) first = frame;
    else if (active === 2) second = frame;
    else {
      if (active === 3) for (let i = 0; i < FRAME_SAMPLES; i++) accumulator[i] = first![i] + second![i];
      for (let i = 0; i < FRAME_SAMPLES; i++) accumulator[i] += frame[i];
    }
  }
  if (active === 0) return SILENT_FRAME;
  if (active === 1) return first!;
  if (active === 2) {
    // the common case (a 3-party call): one fused pass, no accumulator
    const a = first!;
    const b = second!;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const sum = a[i] + b[i];
      out[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
    }
    return out;
  }
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const sum = accumulator[i];
    out[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }
  return out;
}

/**
 * What each listener slot receives this tick under `plan` (one scratch buffer per slot in `outs`),
 * written into `results` (reused by the caller from tick to tick) and returned.
 */
export function mixTick(
  plan: MixPlan,
  frames: readonly (Int16Array | null)[],
  holdFrame: Int16Array,
  outs: readonly Int16Array[],
  accumulator: Int32Array,
  results: Int16Array[] = [],
): Int16Array[] {
  const listeners = plan.listeners;
  if (results.length !== listeners.length) results.length = listeners.length;
  for (let slot = 0; slot < listeners.length; slot++) {
    const listener = listeners[slot];
    results[slot] =
      listener.output === ListenerOutput.Hold
        ? holdFrame
        : listener.output === ListenerOutput.Silence
          ? SILENT_FRAME
          : mixSpeakers(frames, listener.speakers, outs[slot], accumulator);
  }
  return results;
}

/**
 * One call, one tick, by phone number: the convenience form of planMix + mixTick (tests, tools).
 * `frames` holds each participant's input frame (null: silent this tick).
 */
export function mixCallFrames(
  matrix: readonly MediaParty[],
  frames: ReadonlyMap<string, Int16Array | null>,
  holdFrame: Int16Array = SILENT_FRAME,
): Map<string, Int16Array> {
  const slots = [...frames.keys()];
  const plan = planMix(matrix, slots);
  const outs = slots.map(() => new Int16Array(FRAME_SAMPLES));
  const mixed = mixTick(plan, [...frames.values()], holdFrame, outs, new Int32Array(FRAME_SAMPLES));
  return new Map(slots.map((phoneNumber, index) => [phoneNumber, Int16Array.from(mixed[index])]));
}

/** One second (8000 samples, the exact period of any whole-Hz tone at 8 kHz) of a sine. */
export function sineTable(frequencyHz: number, amplitude: number): Int16Array {
  const table = new Int16Array(8000);
  for (let n = 0; n < 8000; n++) table[n] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / 8000));
  return table;
}

/** Fill `out` with the 160 samples of `table` starting at absolute sample `start`. */
export function fillFromTable(table: Int16Array, start: number, out: Int16Array): Int16Array {
  let position = start % table.length;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    out[i] = table[position];
    if (++position === table.length) position = 0;
  }
  return out;
}
