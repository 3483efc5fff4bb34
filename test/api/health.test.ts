/**
 * GET /healthz and GET /readyz: public, cheap, the GWS-free {status} bodies; /readyz is 503 with the
 * reason of every failing check (a closed store, CometD shut down, a check registered by another
 * part), and the store probe is cached for a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cachedCheck } from '../../src/gws/routes/health.js';
import { Api } from './harness.js';

async function probe(api: Api, url: string): Promise<{ status: number; json: any; cacheControl: unknown }> {
  const r = await api.app.fastify.inject({ method: 'GET', url });
  return { status: r.statusCode, json: JSON.parse(r.body), cacheControl: r.headers['cache-control'] };
}

describe('health probes', () => {
  let api: Api;
  before(async () => {
    api = await Api.start();
  });
  after(() => api.close());

  test('/healthz: 200 {"status":"up"} without credentials, never cached', async () => {
    const r = await probe(api, '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'up' });
    assert.equal(r.cacheControl, 'no-store');
  });

  test('/readyz: ready with the default checks (audit, store, cometd) and no credentials', async () => {
    assert.deepEqual(api.app.readiness.names(), ['audit', 'store', 'cometd']);
    const r = await probe(api, '/readyz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ready' });
  });

  test('a registered check that fails makes /readyz 503 with its reason; removing it makes it ready again', async () => {
    const remove = api.app.readiness.add('sip', () => 'SIP is not listening');
    const throwing = api.app.readiness.add('broken', () => {
      throw new Error('probe exploded');
    });
    const r = await probe(api, '/readyz');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: 'not ready', reason: 'SIP is not listening; broken: probe exploded' });
    remove();
    throwing();
    assert.equal((await probe(api, '/readyz')).status, 200);
  });
});

describe('readiness after parts stop', () => {
  test('a closed store: 503 "the store is not writable"; CometD shut down: 503 naming it; /healthz still 200', async () => {
    const api = await Api.start();
    try {
      // the first probe of this app: nothing cached yet, so the closed store is seen at once
      await api.app.store.close();
      let r = await probe(api, '/readyz');
      assert.equal(r.status, 503);
      assert.match(r.json.reason, /^the store is not writable: /);
      await api.app.bayeux.close();
      r = await probe(api, '/readyz');
      assert.equal(r.status, 503);
      assert.match(r.json.reason, /the store is not writable: .*; CometD is shut down$/);
      assert.equal((await probe(api, '/healthz')).status, 200);
    } finally {
      await api.close();
    }
  });
});

describe('cachedCheck', () => {
  test('runs the probe once per max age, one run at a time, and turns a rejection into its reason', async () => {
    let now = 0;
    let runs = 0;
    let answer: string | undefined;
    const check = cachedCheck(async () => {
      runs++;
      if (answer === 'throw') throw new Error('disk gone');
      return answer;
    }, 1000, () => now);
    const [first, second] = await Promise.all([check(), check()]);
    assert.equal(first, undefined);
    assert.equal(second, undefined);
    assert.equal(runs, 1, 'concurrent callers share one run');
    answer = 'bad';
    now = 999;
    assert.equal(await check(), undefined, 'still the cached answer');
    assert.equal(runs, 1);
    now = 1000;
    assert.equal(await check(), 'bad');
    assert.equal(runs, 2);
    answer = 'throw';
    now = 2500;
    assert.equal(await check(), 'disk gone');
  });
});
