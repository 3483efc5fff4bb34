// WAV recording: the header (8 kHz, 16-bit, mono) fixed up on stop, one frame per tick, silence
// while paused, safe file names; and a recording made by the mixer contains the mix of the parties
// heard by someone (a ListenIn supervisor is not recorded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavRecorder } from '../../src/media/recorder.js';
import { Mixer } from '../../src/media/mixer.js';
import type { MixerLeg } from '../../src/media/mixer.js';

const frame = (value: number) => new Int16Array(160).fill(value);

function readWav(path: string) {
  const bytes = readFileSync(path);
  const samples: number[] = [];
  for (let at = 44; at < bytes.length; at += 2) samples.push(bytes.readInt16LE(at));
  return {
    riff: bytes.toString('ascii', 0, 4),
    riffSize: bytes.readUInt32LE(4),
    wave: bytes.toString('ascii', 8, 12),
    format: bytes.readUInt16LE(20),
    channels: bytes.readUInt16LE(22),
    rate: bytes.readUInt32LE(24),
    byteRate: bytes.readUInt32LE(28),
    bits: bytes.readUInt16LE(34),
    dataSize: bytes.readUInt32LE(40),
    length: bytes.length,
    samples,
  };
}

test('start, write, pause (gap of silence), resume, stop: a valid 8 kHz 16-bit mono file', (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'switchboard-rec-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const recorder = WavRecorder.start(join(folder, 'nested'), 'call-uuid_1');
  recorder.write(frame(1000));
  recorder.pause();
  recorder.write(frame(2000));
  recorder.resume();
  for (let i = 0; i < 60; i++) recorder.write(frame(-3)); // crosses the one-second flush
  recorder.write(null);
  const summary = recorder.stop();
  assert.equal(summary.path, join(folder, 'nested', 'call-uuid_1.wav'));
  assert.equal(summary.dataBytes, 63 * 320);
  assert.equal(summary.durationMs, 1260);
  const wav = readWav(summary.path);
  assert.deepEqual(
    [wav.riff, wav.wave, wav.format, wav.channels, wav.rate, wav.byteRate, wav.bits],
    ['RIFF', 'WAVE', 1, 1, 8000, 16000, 16],
  );
  assert.equal(wav.dataSize, 63 * 320);
  assert.equal(wav.riffSize, 36 + 63 * 320);
  assert.equal(wav.length, 44 + 63 * 320);
  assert.deepEqual([wav.samples[0], wav.samples[160], wav.samples[320], wav.samples[62 * 160]], [1000, 0, -3, 0]);
  assert.deepEqual(recorder.stop(), summary, 'stop is idempotent');
});

test('a callUuid that could leave the folder is refused', () => {
  assert.throws(() => WavRecorder.start(tmpdir(), '../escape'), /cannot name a recording file/);
  assert.throws(() => WavRecorder.start(tmpdir(), ''), /cannot name a recording file/);
});

test('the mixer records the mix of every party someone hears', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'switchboard-rec-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const queues = new Map<string, Int16Array[]>();
  let adding = '';
  const mixer = new Mixer({
    recordingsFolder: folder,
    legFactory: async (request) => {
      const queue: Int16Array[] = [];
      queues.set(adding, queue);
      const leg: MixerLeg = {
        localPort: 1,
        codec: request.codec,
        canSendEvents: false,
        get queuedFrames() {
          return queue.length;
        },
        takeFrame: () => queue.shift() ?? null,
        sendAudio: () => {},
        sendEvent: () => {},
        timestampOf: (tick) => tick * 160,
        setRemote: () => {},
        close: async () => {},
      };
      return leg;
    },
  });
  for (const phoneNumber of ['C', 'A', 'S']) {
    adding = phoneNumber;
    await mixer.addLeg('call-7', phoneNumber, { codec: 'PCMU' });
  }
  mixer.setMatrix('call-7', [
    { phoneNumber: 'C', hears: ['A'] },
    { phoneNumber: 'A', hears: ['C'] },
    { phoneNumber: 'S', hears: ['C', 'A'] },
  ]);
  const path = mixer.startRecording('call-7', 'uuid-7');
  assert.throws(() => mixer.startRecording('call-7', 'uuid-7'), /already recording/);
  for (let tick = 0; tick < 3; tick++) {
    queues.get('C')!.push(frame(1000));
    queues.get('A')!.push(frame(100));
    queues.get('S')!.push(frame(10));
    if (tick === 1) mixer.pauseRecording('call-7');
    if (tick === 2) mixer.resumeRecording('call-7');
    mixer.runTick(tick);
  }
  const summary = mixer.stopRecording('call-7');
  assert.equal(summary.path, path);
  const wav = readWav(path);
  assert.deepEqual([wav.samples[0], wav.samples[160], wav.samples[320]], [1100, 0, 1100]);
  await mixer.close();
});
