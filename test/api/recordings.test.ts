/**
 * GET /api/v2/recordings/{callUuid}: the WAV of a recorded call goes to the supervisors and admins of
 * its contact center (audio/wav, sizes in the header matching the bytes); agents get statusCode 5;
 * unknown, unrecorded, other contact centers' and malformed callUuids get statusCode 6; the owner of
 * a recording survives a restart through its owner file. The WAV bytes stand for what the mixer writes
 * (src/media/recorder.ts): with simulated endpoints no audio flows, so the test writes them itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { wavHeader } from '../../src/media/recorder.js';
import { RecordingCatalog } from '../../src/gws/routes/recordings.js';
import { Api, basic, expectError, otherCenter } from './harness.js';
import { demoContactCenter } from '../../src/config/demo.js';

const ADMIN = basic('admin');
const folder = mkdtempSync(join(tmpdir(), 'switchboard-recordings-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** a WAV as the recorder leaves it mid-call: header sizes still 0, `samples` samples of data */
function unfinishedWav(samples: number): Buffer {
  const header = wavHeader(0);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin(i / 3)), i * 2);
  return Buffer.concat([header, data]);
}

describe('recordings', () => {
  let api: Api;
  let recorded: string;
  let unrecorded: string;

  before(async () => {
    api = await Api.start({ recordings: { dir: folder }, contactCenters: [demoContactCenter(), otherCenter()] });
    await api.startSession('agent1', true);
    recorded = (await api.ok('/sim/v1/calls', { from: '+15551234567', to: '5001' }, ADMIN)).callUuid;
    await api.ok(`/api/v2/me/calls/${recorded}`, { operationName: 'Answer' }, basic('agent1'));
    await api.ok(`/api/v2/me/calls/${recorded}`, { operationName: 'StartCallRecording' }, basic('agent1'));
    writeFileSync(join(folder, `${recorded}.wav`), unfinishedWav(800));
    unrecorded = (await api.ok('/sim/v1/calls', { from: '+15557654321', to: '5002' }, ADMIN)).callUuid;
    writeFileSync(join(folder, `${unrecorded}.wav`), unfinishedWav(8));
  });
  after(() => api.close());

  const fetch = (callUuid: string, auth: string) => api.app.fastify.inject({ method: 'GET', url: `/api/v2/recordings/${callUuid}`, headers: { authorization: auth } });

  test('supervisors and admins of the contact center get the WAV, its header sized to the data written', async () => {
    for (const who of ['supervisor1', 'admin']) {
      const response = await fetch(recorded, basic(who));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['content-type'], 'audio/wav');
      const body = response.rawPayload;
      assert.equal(body.length, 44 + 1600);
      assert.equal(body.toString('ascii', 0, 4), 'RIFF');
      assert.equal(body.readUInt32LE(4), 36 + 1600, 'RIFF size patched');
      assert.equal(body.readUInt32LE(40), 1600, 'data size patched');
      assert.deepEqual(body.subarray(44), unfinishedWav(800).subarray(44), 'the samples as written');
    }
  });

  test('agents get statusCode 5; no credentials 20', async () => {
    expectError(await api.get(`/api/v2/recordings/${recorded}`, basic('agent1')), 5, 403);
    expectError(await api.call('GET', `/api/v2/recordings/${recorded}`), 20, 401);
  });

  test('statusCode 6: another contact center, never recorded, unknown, malformed, or the file is missing', async () => {
    expectError(await api.get(`/api/v2/recordings/${recorded}`, basic('othersup')), 6, 404);
    expectError(await api.get(`/api/v2/recordings/${recorded}`, basic('otheradmin')), 6, 404);
    expectError(await api.get(`/api/v2/recordings/${unrecorded}`, basic('supervisor1')), 6, 404, /No recording/);
    expectError(await api.get('/api/v2/recordings/0123456789ABCDEFGHIJKLMNOPQRSTUV', basic('supervisor1')), 6, 404);
    expectError(await api.get('/api/v2/recordings/..%2F..%2Fetc%2Fpasswd', basic('supervisor1')), 6, 404);
    expectError(await api.get('/api/v2/recordings/a.wav', basic('admin')), 6, 404);
    rmSync(join(folder, `${recorded}.wav`));
    expectError(await api.get(`/api/v2/recordings/${recorded}`, basic('supervisor1')), 6, 404);
    writeFileSync(join(folder, `${recorded}.wav`), unfinishedWav(800));
  });

  test('the owner of a recording is kept beside it, so a restarted server still serves it', async () => {
    await api.app.recordings.written();
    const restarted = new RecordingCatalog(folder, () => undefined);
    const centerId = api.app.directory.allCenters().find((c) => c.record.name === 'Demo')!.record.id;
    assert.equal(await restarted.ownerOf(recorded), centerId);
    assert.equal(await restarted.ownerOf(unrecorded), undefined);
    assert.equal((await restarted.wavOf(recorded))?.length, 44 + 1600);
  });
});
