/**
 * GET /metrics through a real server and the official CometD client: the Prometheus text carries the
 * HTTP counters by route and GWS statusCode with their histogram, CometD sessions by transport,
 * notifications delivered, agents by state, supervision configurations by mode, calls active and
 * completed, store latency and the process metrics; with metricsEnabled false it is not served.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Api } from './harness.js';
import { E2E } from '../helpers/e2e.js';

/** the value of one sample line `name{labels} value`, or undefined */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(e: E2E): Promise<string> {
  const res = await fetch(`${e.baseUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return res.text();
}

test('a scenario shows up in the metrics: agents, CometD, a supervised call, HTTP, store, process', async () => {
  const e = await E2E.start();
  try {
    const agent = await e.user('agent1', { ready: true });
    const supervisor = await e.user('supervisor1', { session: true });
    const armed = await supervisor.deviceOp('ListenIn', { phoneNumber: agent.dn });
    assert.equal(armed.statusCode, 0, JSON.stringify(armed));
    let text = await scrape(e);
    assert.equal(sample(text, 'switchboard_agents{state="Ready"}'), 1);
    assert.equal(sample(text, 'switchboard_supervision_sessions{mode="ListenIn"}'), 1);
    assert.equal(sample(text, 'switchboard_cometd_sessions{transport="long-polling"}'), 2);
    assert.ok((sample(text, 'switchboard_notifications_delivered_total') ?? 0) > 0, 'notifications were counted');
    assert.equal(sample(text, 'switchboard_calls_active'), 0);

    const callUuid = await e.simCall('+15551234567', agent.dn);
    await agent.callEvent(callUuid, 'Ringing');
    await agent.callOp(callUuid, 'Answer');
    await agent.callEvent(callUuid, 'Established');
    text = await scrape(e);
    assert.equal(sample(text, 'switchboard_calls_active'), 1);
    await e.simHangup(callUuid);
    await agent.callEvent(callUuid, 'Released');
    text = await scrape(e);
    assert.equal(sample(text, 'switchboard_calls_active'), 0);
    assert.equal(sample(text, 'switchboard_calls_completed_total'), 1);

    assert.ok((sample(text, 'switchboard_http_requests_total{method="POST",route="/api/v2/me/calls/:id",statusCode="200",gwsStatusCode="0"}') ?? 0) >= 1, 'the Answer request');
    assert.ok((sample(text, 'switchboard_http_request_duration_seconds_count{method="GET",route="/metrics"}') ?? 0) >= 1);
    assert.ok((sample(text, 'switchboard_store_operation_duration_seconds_count{operation="snapshot",outcome="ok"}') ?? 0) >= 1);
    for (const processMetric of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes']) {
      assert.ok(sample(text, processMetric) !== undefined, `${processMetric} is exported`);
    }
  } finally {
    await e.close();
  }
});

test('a refused operation is counted with its GWS statusCode; metricsEnabled false: /metrics is 404', async () => {
  const api = await Api.start();
  try {
    const refused = await api.app.fastify.inject({ method: 'POST', url: '/api/v2/me', payload: { operationName: 'Nope' }, headers: { authorization: 'Basic ' + Buffer.from('agent1:demo').toString('base64') } });
    const gwsStatus = JSON.parse(refused.body).statusCode;
    assert.notEqual(gwsStatus, 0);
    const text = (await api.app.fastify.inject({ method: 'GET', url: '/metrics' })).body;
    assert.equal(sample(text, `switchboard_http_requests_total{method="POST",route="/api/v2/me",statusCode="${refused.statusCode}",gwsStatusCode="${gwsStatus}"}`), 1);
  } finally {
    await api.close();
  }
  const off = await Api.start({ metricsEnabled: false });
  try {
    const r = await off.app.fastify.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 404);
    assert.equal(JSON.parse(r.body).statusCode, 6);
  } finally {
    await off.close();
  }
});
