/**
 * Storage faults through the HTTP layer (issue 7, point 8), with an injected store that refuses
 * audit writes like a full disk and audit reads like corrupt pages (test/helpers/faulty-store.ts):
 * the first arming is acknowledged and its entry held; from then on arming is refused with
 * statusCode 13 (HTTP 503) and GET /readyz is 503 with the reason; once the disk has room the held
 * entries are written, /readyz is 200 and arming works again. Corrupt pages on the audit GET are
 * statusCode 12 (HTTP 503), not an internal error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/app/app.js';
import { openStore } from '../../src/store/sqlite.js';
import { countingIds } from '../../src/switch/clock.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { waitFor } from '../helpers/wait.js';
import { Api, apiConfig, basic, expectError } from './harness.js';

const S1 = basic('supervisor1');
const S2 = basic('supervisor2');
const ADMIN = basic('admin');

describe('the audit never fails open', () => {
  const faulty = new FaultyStore(openStore(':memory:'));
  const api = new Api();
  let s1: string;
  let s2: string;

  before(async () => {
    api.app = await createApp(apiConfig(), { clock: api.clock, ids: countingIds(), store: faulty.store });
    s1 = (await api.deviceOf('supervisor1')).id;
    s2 = (await api.deviceOf('supervisor2')).id;
    await api.startSession('supervisor1');
    await api.startSession('supervisor2');
  });
  after(() => api.close());

  const readiness = async () => {
    const r = await api.app.fastify.inject({ method: 'GET', url: '/readyz' });
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const listenIn = (device: string, auth: string, phoneNumber: string) => api.post(`/api/v2/me/devices/${device}`, { operationName: 'ListenIn', phoneNumber }, auth);

  it('ready while the audit can be written', async () => {
    assert.deepEqual(await readiness(), { status: 200, body: { status: 'ready' } });
  });

  it('disk full: the acknowledged arming is held, further arming is 13 / 503, /readyz is 503 with the reason', async () => {
    faulty.full = true;
    await api.ok(`/api/v2/me/devices/${s1}`, { operationName: 'ListenIn', phoneNumber: '5001' }, S1);
    await waitFor(() => faulty.refused >= 1, { on: faulty, what: 'the Armed entry refused by the full disk' });
    expectError(await listenIn(s2, S2, '5002'), 13, 503, /ListenIn is refused: the supervision audit cannot be written: the disk holding the database is full \(SQLITE_FULL\)/);
    const ready = await readiness();
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'not ready');
    assert.match(ready.body.reason, /disk holding the database is full.*1 entries held in memory/);
    // leaving is never refused: its entry is held too
    await api.ok(`/api/v2/me/devices/${s1}`, { operationName: 'CancelSupervisorMonitoring' }, S1);
  });

  it('room again: the held entries are written in order, /readyz is 200, arming works', async () => {
    faulty.full = false;
    // the writer retries every second: wait for both held entries to reach the store
    await waitFor(() => faulty.written >= 2, { on: faulty, what: 'the two held entries written', timeoutMs: 5000 });
    const audit = await api.get('/api/v2/supervision/audit?supervisor=supervisor1', ADMIN);
    assert.deepEqual(audit.json.entries.map((e: { event: string }) => e.event), ['Armed', 'Cancelled']);
    assert.deepEqual(await readiness(), { status: 200, body: { status: 'ready' } });
    await api.ok(`/api/v2/me/devices/${s2}`, { operationName: 'ListenIn', phoneNumber: '5002' }, S2);
  });

  it('corrupt pages on the audit GET: statusCode 12 with HTTP 503, never 500', async () => {
    faulty.corrupt = true;
    try {
      expectError(await api.get('/api/v2/supervision/audit', ADMIN), 12, 503, /cannot be read now: the database file is corrupt \(SQLITE_CORRUPT\)/);
    } finally {
      faulty.corrupt = false;
    }
    assert.equal((await api.get('/api/v2/supervision/audit', ADMIN)).json.statusCode, 0);
  });
});
