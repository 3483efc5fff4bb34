/**
 * The HTTP metrics counted outside prom-client (src/app/metrics.ts: answers and durations in plain
 * Maps and arrays, written into prom-client's counter and histogram at scrape) scrape exactly as
 * prom-client's own inc() and observe() would have counted the same requests: the same series,
 * in the same order, with the same values (sums to the last bit), scrape after scrape; and so do
 * the notifications delivered (counted in a plain number, added to the counter at scrape).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../../src/app/metrics.js';
import type { RequestDone } from '../../src/gws/logging.js';

const COUNTER = 'switchboard_http_requests_total';
const HISTOGRAM = 'switchboard_http_request_duration_seconds';

/** prom-client counting every request directly, with the names, help texts and buckets of Metrics */
function reference(metrics: Metrics): { observe(done: RequestDone): void; text(): Promise<string> } {
  const registry = new Registry();
  const shape = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()) as { help: string };
  const counter = shape(COUNTER).then((m) => new Counter({ name: COUNTER, help: m.help, labelNames: ['method', 'route', 'statusCode', 'gwsStatusCode'], registers: [registry] }));
  const buckets = (metrics.registry.getSingleMetric(HISTOGRAM) as unknown as { upperBounds: number[] }).upperBounds;
  const histogram = shape(HISTOGRAM).then((m) => new Histogram({ name: HISTOGRAM, help: m.help, labelNames: ['method', 'route'], buckets: [...buckets], registers: [registry] }));
  const pending: RequestDone[] = [];
  return {
    observe: (done) => void pending.push(done),
    text: async () => {
      const [c, h] = await Promise.all([counter, histogram]);
      for (const done of pending.splice(0)) {
        c.inc({ method: done.method, route: done.route, statusCode: String(done.statusCode), gwsStatusCode: done.gwsStatusCode === undefined ? '' : String(done.gwsStatusCode) });
        h.observe({ method: done.method, route: done.route }, done.responseTimeMs / 1000);
      }
      return `${await registry.getSingleMetricAsString(COUNTER)}\n${await registry.getSingleMetricAsString(HISTOGRAM)}`;
    },
  };
}

/** a small deterministic generator, so a failure replays */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test('HTTP counter and duration histogram: the scrape equals prom-client counting each request', async () => {
  const metrics = new Metrics({ processMetrics: false });
  const ref = reference(metrics);
  const next = random(12);
  const routes = ['/api/v2/me', '/api/v2/me/channels/:channel', '/api/v2/me/calls/:id', 'unmatched'];
  const methods = ['GET', 'POST'];
  // durations from sub-millisecond to above the last bucket (30 s), and exactly on bounds
  const duration = (): number => (next() < 0.1 ? [1, 2.5, 10, 30_000, 31_000][Math.floor(next() * 5)] : Math.round(next() ** 4 * 40_000 * 1000) / 1000);
  for (const batch of [0, 1, 500, 3000]) {
    for (let i = 0; i < batch; i++) {
      const done: RequestDone = { method: methods[Math.floor(next() * 2)], route: routes[Math.floor(next() * routes.length)], statusCode: next() < 0.9 ? 200 : 404, responseTimeMs: duration() };
      if (next() < 0.8) done.gwsStatusCode = done.statusCode === 200 ? 0 : 6;
      metrics.observeRequest(done);
      ref.observe(done);
    }
    const ours = `${await metrics.registry.getSingleMetricAsString(COUNTER)}\n${await metrics.registry.getSingleMetricAsString(HISTOGRAM)}`;
    assert.equal(ours, await ref.text(), `after a batch of ${batch}`);
  }
});

test('notifications delivered: counted outside prom-client, the scrape shows every delivery once, scrape after scrape', async () => {
  const metrics = new Metrics({ processMetrics: false });
  const delivered = async (): Promise<number> => {
    const line = (await metrics.registry.getSingleMetricAsString('switchboard_notifications_delivered_total')).split('\n').find((l) => l.startsWith('switchboard_notifications_delivered_total '));
    return Number(line!.split(' ')[1]);
  };
  assert.equal(await delivered(), 0);
  const next = random(7);
  let total = 0;
  for (const batch of [1, 0, 40, 1000]) {
    for (let i = 0; i < batch; i++) {
      const count = Math.floor(next() * 4); // 0 (nobody subscribed) to 3 sessions
      metrics.bayeuxHook.queued(count);
      total += count;
    }
    assert.equal(await delivered(), total, `after a batch of ${batch}`);
    assert.equal(await delivered(), total, 'a second scrape adds nothing');
  }
  // the whole exposition (what GET /metrics serves) shows the same total
  assert.match(await metrics.text(), new RegExp(`^switchboard_notifications_delivered_total ${total}$`, 'm'));
});
