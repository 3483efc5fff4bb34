/**
 * WAV recording of one call: RIFF/WAVE, PCM, 8000 Hz, 16-bit little-endian, mono.
 *
 * Format decision: mono, the mix of every party that at least one other party hears (what the call
 * sounds like): customer, agent, conference members, a coaching or barged-in supervisor; a
 * supervisor in ListenIn (heard by nobody) is not in the recording. Mono keeps one format for calls
 * of any size (conferences have no "two sides").
 *
 * Guarantees: the file is `<folder>/<callUuid>.wav` (the callUuid must be letters, digits, '-' or
 * '_', so it can never name a path outside the folder; a new recording of the same call replaces the
 * file); one frame of 160 samples is written per mixer tick, so the file's timeline is the call's
 * timeline; while paused, silence is written (the pause leaves an audible gap of the right length,
 * and nothing said during it is kept); `stop` flushes and fixes the RIFF and data sizes in the
 * header, so the file is valid only after stop (a crash leaves a header with sizes 0, which most
 * players still read). Writes are buffered (one second) and synchronous: the recorder lives in the
 * mixer thread of its call.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FRAME_SAMPLES } from './jitter.js';

export const WAV_SAMPLE_RATE = 8000;
export const WAV_HEADER_BYTES = 44;
const FRAMES_PER_FLUSH = 50;

export function checkCallUuidForFile(callUuid: string): string | undefined {
  return /^[A-Za-z0-9_-]{1,128}$/.test(callUuid)
    ? undefined
    : `callUuid '${callUuid}' cannot name a recording file (letters, digits, '-' and '_' only)`;
}

/** The 44-byte canonical WAV header for `dataBytes` of 8 kHz 16-bit mono PCM. */
export function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(WAV_SAMPLE_RATE, 24);
  header.writeUInt32LE(WAV_SAMPLE_RATE * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export interface RecordingSummary {
  path: string;
  dataBytes: number;
  durationMs: number;
}

export class WavRecorder {
  private readonly buffer = Buffer.alloc(FRAMES_PER_FLUSH * FRAME_SAMPLES * 2);
  private buffered = 0;
  private dataBytes = 0;
  private paused = false;
  private descriptor: number | undefined;

  private constructor(
    readonly path: string,
    descriptor: number,
  ) {
    this.descriptor = descriptor;
  }

  /** Create (or replace) `<folder>/<callUuid>.wav`; throws with a clear message on a bad name. */
  static start(folder: string, callUuid: string): WavRecorder {
    const problem = checkCallUuidForFile(callUuid);
    if (problem) throw new RangeError(problem);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${callUuid}.wav`);
    const descriptor = openSync(path, 'w');
    writeSync(descriptor, wavHeader(0), 0, WAV_HEADER_BYTES, 0);
    return new WavRecorder(path, descriptor);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isStopped(): boolean {
    return this.descriptor === undefined;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Append one tick: `frame` (160 samples), or silence when null or paused. */
  write(frame: Int16Array | null): void {
    if (this.descriptor === undefined) return;
    const silent = this.paused || frame === null;
    let at = this.buffered;
    for (let i = 0; i < FRAME_SAMPLES; i++, at += 2) this.buffer.writeInt16LE(silent ? 0 : frame[i], at);
    this.buffered = at;
    if (this.buffered === this.buffer.length) this.flush();
  }

  /** Flush, fix the header and close. Idempotent. */
  stop(): RecordingSummary {
    if (this.descriptor !== undefined) {
      this.flush();
      writeSync(this.descriptor, wavHeader(this.dataBytes), 0, WAV_HEADER_BYTES, 0);
      closeSync(this.descriptor);
      this.descriptor = undefined;
    }
    return { path: this.path, dataBytes: this.dataBytes, durationMs: (this.dataBytes / 2 / WAV_SAMPLE_RATE) * 1000 };
  }

  private flush(): void {
    if (this.buffered === 0 || this.descriptor === undefined) return;
    writeSync(this.descriptor, this.buffer, 0, this.buffered, WAV_HEADER_BYTES + this.dataBytes);
    this.dataBytes += this.buffered;
    this.buffered = 0;
  }
}
