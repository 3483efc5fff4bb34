/**
 * Tone analysis for the telephony tests (shared/spec/media.md section 5): which of a set of known test
 * tones a recording holds over a time window.
 *
 * Method: the window is cut into 100 ms blocks; each block is Hann-windowed and measured with the
 * Goertzel algorithm at every tone frequency (non-coherent: one level per block, so an RTP slip or a
 * phase jump costs at most one block). Levels are in dBFS, 0 dBFS being a full-scale sine, so a tone
 * generated at amplitude 0.25 reads about -12 dBFS. Per tone the verdict uses the median over the
 * blocks and the fraction of blocks above the "heard" threshold:
 *   heard     median > -30 dBFS and at least 50 % of the blocks above -30 dBFS;
 *   not heard median < -40 dBFS and at most 10 % of the blocks above -30 dBFS;
 *   anything between is "unclear", which a test must treat as a failure.
 * Guarantees: pure functions of their inputs, no allocation per sample beyond the block loop; a window
 * with no whole block throws (a test must never pass on an empty window).
 */

export const HEARD_ABOVE_DB = -30;
export const NOT_HEARD_BELOW_DB = -40;
export const BLOCK_SEC = 0.1;
/**
 * 0.5, not more: on this shared 2-core machine a phone's packets sometimes reach the mixer late, its
 * jitter queue runs dry and that speaker is silence for a few frames, so an audible tone (median
 * -14 dBFS) was once above the threshold in only 67 % of a window's blocks
 */
const HEARD_MIN_FRACTION = 0.5;
const NOT_HEARD_MAX_FRACTION = 0.1;
/** below any real measurement: the level reported for digital silence */
const FLOOR_DB = -200;

export const Verdict = { Heard: 'heard', NotHeard: 'not heard', Unclear: 'unclear' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface ToneMeasurement {
  frequencyHz: number;
  /** median level over the blocks, dBFS */
  medianDb: number;
  /** fraction of blocks above HEARD_ABOVE_DB */
  fractionHeard: number;
  verdict: Verdict;
}

export interface WindowAnalysis {
  startSec: number;
  endSec: number;
  blocks: number;
  tones: ToneMeasurement[];
}

/** The Hann window of `length` points (symmetric form). */
export function hannWindow(length: number): Float64Array {
  const window = new Float64Array(length);
  for (let n = 0; n < length; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (length - 1));
  return window;
}

/**
 * Level in dBFS of `frequencyHz` in samples[start, start+window.length), Hann-windowed by `window`.
 * A full-scale sine at that frequency reads 0 dBFS: the magnitude is divided by the window's sum / 2.
 */
export function goertzelLevelDb(samples: ArrayLike<number>, start: number, window: Float64Array, frequencyHz: number, sampleRate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequencyHz) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  let windowSum = 0;
  for (let n = 0; n < window.length; n++) {
    const current = samples[start + n] * window[n] + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
    windowSum += window[n];
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  const magnitude = Math.sqrt(Math.max(0, power));
  const amplitude = magnitude / (windowSum / 2);
  return amplitude > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(amplitude)) : FLOOR_DB;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function verdictOf(medianDb: number, fractionHeard: number): Verdict {
  if (medianDb > HEARD_ABOVE_DB && fractionHeard >= HEARD_MIN_FRACTION) return Verdict.Heard;
  if (medianDb < NOT_HEARD_BELOW_DB && fractionHeard <= NOT_HEARD_MAX_FRACTION) return Verdict.NotHeard;
  return Verdict.Unclear;
}

/** Measure every tone in [startSec, endSec) of the samples, in whole 100 ms blocks. */
export function analyseWindow(samples: ArrayLike<number>, sampleRate: number, frequencies: readonly number[], startSec: number, endSec: number): WindowAnalysis {
  const blockLength = Math.round(BLOCK_SEC * sampleRate);
  const first = Math.max(0, Math.round(startSec * sampleRate));
  const end = Math.min(samples.length, Math.round(endSec * sampleRate));
  const blocks = Math.floor((end - first) / blockLength);
  if (blocks < 1) {
    throw new Error(`no whole ${BLOCK_SEC * 1000} ms block in ${startSec.toFixed(2)}-${endSec.toFixed(2)} s (recording holds ${(samples.length / sampleRate).toFixed(2)} s)`);
  }
  const window = hannWindow(blockLength);
  const tones = frequencies.map((frequencyHz) => {
    const levels: number[] = [];
    for (let block = 0; block < blocks; block++) levels.push(goertzelLevelDb(samples, first + block * blockLength, window, frequencyHz, sampleRate));
    const medianDb = median(levels);
    const fractionHeard = levels.filter((level) => level > HEARD_ABOVE_DB).length / blocks;
    return { frequencyHz, medianDb, fractionHeard, verdict: verdictOf(medianDb, fractionHeard) };
  });
  return { startSec, endSec, blocks, tones };
}

/** The tones heard, and the tones neither clearly heard nor clearly absent, of an analysis. */
export function heardTones(analysis: WindowAnalysis): { heard: number[]; unclear: number[] } {
  return {
    heard: analysis.tones.filter((tone) => tone.verdict === Verdict.Heard).map((tone) => tone.frequencyHz),
    unclear: analysis.tones.filter((tone) => tone.verdict === Verdict.Unclear).map((tone) => tone.frequencyHz),
  };
}

/** One line per tone, for failure messages: "440 Hz -12.1 dBFS 100 %". */
export function describeAnalysis(analysis: WindowAnalysis): string {
  return analysis.tones
    .map((tone) => `${tone.frequencyHz} Hz ${tone.medianDb.toFixed(1)} dBFS ${Math.round(tone.fractionHeard * 100)} % (${tone.verdict})`)
    .join('; ');
}
