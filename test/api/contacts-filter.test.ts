/**
 * GET /api/v2/contacts with a pathological filter (issue 7, point 2): twenty `*` against a long
 * name used to become a backtracking regex that froze the event loop for hours. The request runs
 * in a worker thread (this same file), so a stall cannot freeze the test runner: the main thread
 * waits for the worker's answer with a generous watchdog and fails loudly if none comes. Also the
 * answer itself (matches, no matches, the length limit).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { demoContactCenter } from '../../src/config/demo.js';
import { Api, basic, expectError } from './harness.js';

const LONG = 'a'.repeat(60);
/** cannot match LONG; a regex '^.*a.*a…b$' would try about C(60, 20) = 4e15 ways before saying so */
const STALLING = '*a'.repeat(20) + '*b';
const WATCHDOG_MS = 60_000;

async function startWithLongName(): Promise<Api> {
  const demo = demoContactCenter();
  demo.users.push({ userName: 'longname', password: 'demo', firstName: LONG, lastName: LONG, roles: ['ROLE_AGENT'], dn: '5999' });
  return Api.start({ contactCenters: [demo] });
}

async function workerMain(): Promise<void> {
  const api = await startWithLongName();
  try {
    const r = await api.get(`/api/v2/contacts?filterParameters=${encodeURIComponent(STALLING)}`, basic('agent1'));
    parentPort!.postMessage({ statusCode: r.json.statusCode, totalCount: r.json.totalCount });
  } finally {
    await api.close();
  }
}

if (!isMainThread) {
  await workerMain();
} else {
  test('twenty * in filterParameters answer at once (the request runs in a worker under a watchdog)', async () => {
    // a worker does not inherit the tsx loader: register it, then load this file as the worker's body
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const boot = `import(${tsx}).then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const worker = new Worker(boot, { eval: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await new Promise<{ statusCode: number; totalCount: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`worker exited (${code}) without an answer`)));
        timer = setTimeout(() => reject(new Error(`no answer within ${WATCHDOG_MS} ms: the contacts filter stalls the event loop`)), WATCHDOG_MS);
      });
      assert.deepEqual(answer, { statusCode: 0, totalCount: 0 });
    } finally {
      clearTimeout(timer);
      await worker.terminate();
    }
  });

  test('many * still find what they should; an over-long filter is statusCode 10', async () => {
    const api = await startWithLongName();
    try {
      const hit = await api.get(`/api/v2/contacts?filterParameters=${encodeURIComponent('*a'.repeat(20) + '*')}`, basic('agent1'));
      assert.equal(hit.json.statusCode, 0);
      assert.deepEqual(hit.json.contacts.map((c: { userName: string }) => c.userName), ['longname']);
      const dots = await api.get(`/api/v2/contacts?filterParameters=${encodeURIComponent('.*')}`, basic('agent1'));
      assert.equal(dots.json.totalCount, 0, 'regex syntax is matched literally');
      expectError(await api.get(`/api/v2/contacts?filterParameters=${'*'.repeat(257)}`, basic('agent1')), 10, 400, /at most 256 characters/);
    } finally {
      await api.close();
    }
  });
}
