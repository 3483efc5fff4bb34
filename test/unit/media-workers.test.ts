// The media engine in both modes (in this thread, and over worker_threads running the TypeScript
// source under tsx): a call's legs, matrix and virtual tone round-trip to a real phone socket, a
// digit sent by the phone comes back as an event, errors come back as MediaCommandError messages,
// and calls are pinned to one worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { InProcessMediaEngine, WorkerMediaEngine, createMediaEngine } from '../../src/media/workers.js';
import type { MediaEngine, MediaEngineOptions } from '../../src/media/workers.js';
import { MU_LAW } from '../../src/media/g711.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp.js';
import { writeTelephoneEvent } from '../../src/media/dtmf.js';
import { sineTable } from '../../src/media/mix.js';
import { VIRTUAL_SPEAKER_AMPLITUDE } from '../../src/media/mixer.js';
import { withTimeout } from '../helpers/wait.js';

const MODES: [string, (options: MediaEngineOptions) => MediaEngine][] = [
  ['single thread', (options) => new InProcessMediaEngine(options)],
  ['worker threads', (options) => new WorkerMediaEngine({ ...options, workers: 2 })],
];

for (const [mode, build] of MODES) {
  test(`${mode}: a phone hears a virtual speaker's tone and its digit comes back as an event`, async () => {
    let digitSeen: ((text: string) => void) | undefined;
    const digit = new Promise<string>((resolve) => (digitSeen = resolve));
    const engine = build({ onDigit: (callId, phoneNumber, d) => digitSeen?.(`${callId}/${phoneNumber}/${d.digit}`) });
    const phone = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
    const phonePort = (phone.address() as AddressInfo).port;
    const packets: Buffer[] = [];
    let packetArrived: (() => void) | undefined;
    phone.on('message', (message) => {
      packets.push(message);
      packetArrived?.();
    });
    try {
      const { port } = await engine.execute({
        type: 'addLeg',
        callId: 'call-9',
        phoneNumber: '5001',
        request: { codec: 'PCMU', telephoneEventPayloadType: 101, remote: { address: '127.0.0.1', port: phonePort } },
      });
      assert.ok(port > 0);
      await engine.execute({ type: 'setTone', callId: 'call-9', phoneNumber: 'sim-1', frequencyHz: 1000 });
      await engine.execute({
        type: 'setMatrix',
        callId: 'call-9',
        matrix: [
          { phoneNumber: '5001', hears: ['sim-1'] },
          { phoneNumber: 'sim-1', hears: ['5001'] },
        ],
      });
      // wait for a packet that carries the tone (the first ticks may predate the matrix)
      const table = sineTable(1000, VIRTUAL_SPEAKER_AMPLITUDE);
      const toneCodes = new Set(Array.from(table, (sample) => MU_LAW.encodeTable[sample & 0xffff]));
      const tonePacket = await withTimeout(
        new Promise<Uint8Array>((resolve) => {
          const check = () => {
            for (const message of packets.splice(0)) {
              const parsed = parseRtp(message);
              if (parsed.ok && parsed.packet.payload.some((code) => code !== 0xff)) return resolve(parsed.packet.payload);
            }
            packetArrived = check;
          };
          check();
        }),
        3000,
        'a packet carrying the tone',
      );
      assert.equal(tonePacket.length, 160);
      assert.ok(Array.from(tonePacket).every((code) => toneCodes.has(code)), 'every sample is a sample of the tone');

      const payload = new Uint8Array(4);
      for (let i = 0; i < 3; i++) {
        writeTelephoneEvent(payload, 0, { event: 7, end: i > 0, volume: 10, duration: 160 * (i + 1) });
        phone.send(serializeRtp({ marker: i === 0, payloadType: 101, sequenceNumber: 10 + i, timestamp: 480, ssrc: 5 }, payload), port, '127.0.0.1');
      }
      assert.equal(await withTimeout(digit, 3000, 'the digit event'), 'call-9/5001/7');

      await assert.rejects(
        engine.execute({ type: 'setTone', callId: 'call-9', phoneNumber: 'sim-1', frequencyHz: 9000 }),
        { name: 'MediaCommandError', message: /outside 200-3400 Hz/ },
      );
      await assert.rejects(engine.execute({ type: 'stopRecording', callId: 'call-9' }), /not recording/);
      const [stats] = await engine.stats();
      assert.ok(stats.ticks > 0 && stats.calls >= 0);
      await engine.execute({ type: 'removeCall', callId: 'call-9' });
    } finally {
      await engine.close();
      phone.close();
    }
  });
}

test('worker threads: calls are spread over the workers and pinned to one', async () => {
  const engine = new WorkerMediaEngine({ workers: 2 });
  try {
    for (const callId of ['a', 'b', 'c', 'd']) await engine.execute({ type: 'setHoldAudio', callId, holdAudio: 'tone' });
    await engine.execute({ type: 'setHoldAudio', callId: 'a', holdAudio: 'silence' });
    assert.deepEqual(['a', 'b', 'c', 'd'].map((callId) => engine.workerOf(callId)), [0, 1, 0, 1]);
    const stats = await engine.stats();
    assert.deepEqual(stats.map((s) => s.calls), [2, 2]);
    await engine.execute({ type: 'removeCall', callId: 'a' });
    assert.equal(engine.workerOf('a'), undefined);
    await assert.rejects(engine.execute({ type: 'bogus', callId: 'x' } as never), /unknown media command 'bogus'/);
    await assert.rejects(engine.execute({ type: 'setMatrix', callId: 'x', matrix: {} } as never), /matrix of call x: not a list of rows/);
  } finally {
    await engine.close();
  }
});

test('createMediaEngine: 0 workers mixes in this thread, N starts N workers, negative is refused', async () => {
  const inProcess = createMediaEngine({ workers: 0 });
  assert.ok(inProcess instanceof InProcessMediaEngine);
  await inProcess.close();
  const pooled = createMediaEngine({ workers: 1 });
  assert.ok(pooled instanceof WorkerMediaEngine && pooled.workerCount === 1);
  await pooled.close();
  assert.throws(() => createMediaEngine({ workers: -1 }), /0 or more/);
});

test('worker threads: a worker that dies reports its calls; new calls go to the workers left', async () => {
  let reportExit: ((report: string) => void) | undefined;
  const exited = new Promise<string>((resolve) => (reportExit = resolve));
  const engine = new WorkerMediaEngine({ workers: 2, onWorkerExit: (index, callIds) => reportExit?.(`${index}:${callIds.join(',')}`) });
  try {
    await engine.execute({ type: 'setHoldAudio', callId: 'first', holdAudio: 'tone' });
    await engine.execute({ type: 'setHoldAudio', callId: 'second', holdAudio: 'tone' });
    const victim = engine.workerOf('first')!;
    // stand-in for a crash: stop the thread from outside
    const slots = (engine as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[victim].worker.terminate();
    assert.equal(await withTimeout(exited, 3000, 'the worker exit report'), `${victim}:first`);
    assert.equal(engine.workerOf('first'), undefined);
    await engine.execute({ type: 'setHoldAudio', callId: 'third', holdAudio: 'tone' });
    assert.equal(engine.workerOf('third'), 1 - victim, 'the dead worker gets no new call');
  } finally {
    await engine.close();
  }
});
