/**
 * A small RIFF/WAVE reader for the telephony tests: reads 16-bit integer PCM files (what baresip's
 * sndfile module writes as `*-dec.wav`, and what sox generates) into normalised mono samples.
 *
 * Guarantees: only format 1 (PCM) or WAVE_FORMAT_EXTENSIBLE with 16 bits per sample is accepted,
 * anything else throws an error naming the file and what was found; a data chunk whose declared size
 * is 0, 0xFFFFFFFF or larger than the file (a recording still open, or cut short) is read up to the
 * end of the file, whole frames only; several channels are averaged into one.
 */
import { readFileSync } from 'node:fs';

export interface PcmAudio {
  sampleRate: number;
  /** samples in [-1, 1), one channel */
  samples: Float64Array;
  /** seconds of audio */
  durationSec: number;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

function fail(name: string, why: string): never {
  throw new Error(`WAV ${name}: ${why}`);
}

/** Parse a WAV file held in memory; `name` is used in error messages. */
export function parseWav(bytes: Buffer, name = 'buffer'): PcmAudio {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    fail(name, 'not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const declared = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (declared < 16 || body + 16 > bytes.length) fail(name, 'fmt chunk too short');
      const tag = bytes.readUInt16LE(body);
      const channels = bytes.readUInt16LE(body + 2);
      const sampleRate = bytes.readUInt32LE(body + 4);
      const bitsPerSample = bytes.readUInt16LE(body + 14);
      if (tag !== FORMAT_PCM && tag !== FORMAT_EXTENSIBLE) fail(name, `format tag ${tag} is not integer PCM`);
      if (bitsPerSample !== 16) fail(name, `${bitsPerSample} bits per sample (only 16 is read)`);
      if (channels < 1 || sampleRate < 1) fail(name, `${channels} channels at ${sampleRate} Hz`);
      format = { channels, sampleRate, bitsPerSample };
    } else if (id === 'data') {
      if (!format) fail(name, 'data chunk before the fmt chunk');
      const available = bytes.length - body;
      const size = UNKNOWN_SIZES.has(declared) || declared > available ? available : declared;
      return decode(bytes.subarray(body, body + size), format.channels, format.sampleRate);
    }
    offset = body + declared + (declared % 2);
  }
  return fail(name, format ? 'no data chunk' : 'no fmt chunk');
}

function decode(data: Buffer, channels: number, sampleRate: number): PcmAudio {
  const frameBytes = 2 * channels;
  const frames = Math.floor(data.length / frameBytes);
  const samples = new Float64Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += data.readInt16LE(frame * frameBytes + channel * 2);
    samples[frame] = sum / channels / 32768;
  }
  return { sampleRate, samples, durationSec: frames / sampleRate };
}

export function readWav(path: string): PcmAudio {
  return parseWav(readFileSync(path), path);
}

/** A 16-bit mono PCM WAV file image (for synthetic test inputs). */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(FORMAT_PCM, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
