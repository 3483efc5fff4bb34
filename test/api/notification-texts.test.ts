/**
 * The JSON texts the server attaches to its notifications (call messages from each leg's kept
 * segments, team rows member by member: src/gws/call-text.ts, notification-text.ts) are exactly
 * JSON.stringify of the messages, through a supervised call's life in the app: every call message
 * of the plain shape and every team row carries a text, read as it is published (a text lasts
 * until the job ends), and each step runs in a job of its own, as requests do.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jsonTextOf } from '../../src/bayeux/json-text.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { Api, basic } from './harness.js';

interface Seen {
  channel: string;
  data: Record<string, unknown>;
  text: string | undefined;
}

let api: Api;
const seen: Seen[] = [];

before(async () => {
  api = await Api.start({ contactCenters: [demoContactCenter()] });
  const bayeux = api.app.bayeux;
  const publish = bayeux.publishToUser.bind(bayeux);
  bayeux.publishToUser = (user, channel, data) => {
    seen.push({ channel, data: data as Record<string, unknown>, text: jsonTextOf(data as object) });
    publish(user, channel, data);
  };
});

after(() => api.close());

const nextJob = () => new Promise((resolve) => setImmediate(resolve));

test('call messages and team rows of a supervised call: each text is JSON.stringify of its message', async () => {
  await api.startSession('agent1', true);
  await api.startSession('supervisor1');
  // a team row is rendered only for a supervisor who would receive it
  await api.cometd('supervisor1', '/v2/supervision/*');
  const supervisor = await api.deviceOf('supervisor1');
  await api.ok(`/api/v2/me/devices/${supervisor.id}`, { operationName: 'ListenIn', phoneNumber: '5001', supervisorMonitoringMode: 'AllCalls' }, basic('supervisor1'));
  const sw = api.app.switch;
  const call = sw.simulateInbound('+15550100001', '5001', { Origin: 'web "chat"' });
  assert.ok(call.ok);
  const uuid = call.value.callUuid;
  const steps: [string, string, Parameters<typeof sw.callOperation>[2]][] = [
    ['5001', uuid, { name: 'Answer' }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 1, Note: 'first' } }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 2, Note: 'second \u2028 "quoted"' } }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 2, Other: 'a, b' } }],
    ['5101', uuid, { name: 'SwitchToBargeIn' }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 3 } }],
    ['5001', uuid, { name: 'Hold' }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 4 } }],
    ['5001', uuid, { name: 'Retrieve' }],
    ['5001', uuid, { name: 'DeleteUserData' }],
    ['5001', uuid, { name: 'UpdateUserData', userData: { Step: 5 } }],
    ['5001', uuid, { name: 'Hangup' }],
  ];
  for (const [dn, callUuid, op] of steps) {
    const r = sw.callOperation(dn, callUuid, op);
    assert.ok(r.ok, `${op.name} on ${dn}: ${JSON.stringify(r)}`);
    await nextJob();
  }
  const calls = seen.filter((s) => s.channel === '/v2/me/calls');
  const rows = seen.filter((s) => s.channel === '/v2/supervision/agents');
  assert.ok(calls.length > steps.length, `${calls.length} call messages`);
  assert.ok(rows.length >= steps.length, `${rows.length} team rows`);
  for (const s of [...calls, ...rows]) {
    assert.notEqual(s.text, undefined, `${s.channel}: no text for ${JSON.stringify(s.data).slice(0, 200)}`);
    assert.equal(s.text, JSON.stringify(s.data), s.channel);
  }
  // the rows showed the call's user data as it changed
  assert.ok(rows.some((s) => s.text!.includes('"Note":"second \u2028 \\"quoted\\""')));
});
