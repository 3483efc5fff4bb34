/**
 * The log stream through a full scenario (Basic and cookie logins with CSRF, an inbound call answered
 * and hung up, an agent-state change, a supervisor arming ListenIn, a wrong password): every request
 * line carries the user, operationName and GWS statusCode; call, agent-state and supervision events
 * get one info line each; and no line holds the password, the Authorization value, the session
 * cookie or the CSRF token. The pretty formatter is checked on the same records.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createApp } from '../../src/app/app.js';
import { demoContactCenter } from '../../src/config/demo.js';
import { prettyLine, prettyLogStream } from '../../src/gws/logging-pretty.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';
import { cheapHasher } from '../helpers/cheap-hasher.js';
import { apiConfig } from './harness.js';

const SECRET = 'Tr0ub4dor-and-3-horses';

test('request and event lines carry who and what; no secret is ever logged', async () => {
  const lines: string[] = [];
  const demo = demoContactCenter();
  const center = { ...demo, users: demo.users.map((u) => ({ ...u, password: SECRET })) };
  const app = await createApp(apiConfig({ contactCenters: [center], logLevel: 'info' }), {
    clock: new VirtualClock(),
    ids: countingIds(),
    passwordHasher: cheapHasher,
    logStream: { write: (line: string) => lines.push(line) },
  });
  const basicOf = (user: string, password = SECRET) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const secrets = [SECRET, basicOf('agent1'), basicOf('supervisor1'), basicOf('admin')];
  const send = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
    const r = await app.fastify.inject({ method: method as 'GET', url, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) });
    return { r, json: JSON.parse(r.body) };
  };
  try {
    const agent = { authorization: basicOf('agent1') };
    const first = await send('GET', '/api/v2/me', agent);
    const cookie = String(first.r.headers['set-cookie']).split(';', 1)[0];
    const csrf = String(first.r.headers['x-csrf-token']);
    secrets.push(cookie, cookie.split('=')[1], csrf);
    const byCookie = { cookie, 'x-csrf-token': csrf };
    assert.equal((await send('POST', '/api/v2/me', byCookie, { operationName: 'StartContactCenterSession', channels: ['voice'] })).json.statusCode, 0);
    assert.equal((await send('POST', '/api/v2/me/channels/voice', byCookie, { operationName: 'Ready' })).json.statusCode, 0);
    const supervisor = { authorization: basicOf('supervisor1') };
    await send('POST', '/api/v2/me', supervisor, { operationName: 'StartContactCenterSession', channels: ['voice'] });
    const device = (await send('GET', '/api/v2/me/devices?fields=*', supervisor)).json.devices[0].id;
    assert.equal((await send('POST', `/api/v2/me/devices/${device}`, supervisor, { operationName: 'ListenIn', phoneNumber: '5001' })).json.statusCode, 0);
    const admin = { authorization: basicOf('admin') };
    const call = (await send('POST', '/sim/v1/calls', admin, { from: '+15551234567', to: '5001' })).json.callUuid;
    assert.equal((await send('POST', `/api/v2/me/calls/${call}`, byCookie, { operationName: 'Answer' })).json.statusCode, 0);
    assert.equal((await send('POST', `/sim/v1/calls/${call}`, admin, { operationName: 'Hangup' })).json.statusCode, 0);
    const wrong = await send('GET', '/api/v2/me', { authorization: basicOf('agent1', `${SECRET}-wrong`) });
    assert.notEqual(wrong.json.statusCode, 0);
    secrets.push(`${SECRET}-wrong`, basicOf('agent1', `${SECRET}-wrong`));
  } finally {
    await app.close();
  }

  const records = lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const requests = records.filter((r) => r.msg === 'request completed');
  const answer = requests.find((r) => r.operationName === 'Answer');
  assert.ok(answer, 'the Answer request is logged');
  assert.deepEqual([answer.user, answer.gwsStatusCode, answer.route, answer.statusCode], ['agent1', 0, '/api/v2/me/calls/:id', 200]);
  assert.ok(requests.some((r) => r.operationName === 'ListenIn' && r.user === 'supervisor1' && r.gwsStatusCode === 0));
  const refused = requests.find((r) => r.path === '/api/v2/me' && r.statusCode === 401);
  assert.ok(refused && refused.user === undefined && typeof refused.gwsStatusCode === 'number', 'a refused login: no user, its statusCode');
  for (const r of requests) assert.equal(typeof r.reqId, 'string');

  const messages = (msg: string) => records.filter((r) => r.msg === msg && r.level === 30);
  assert.ok(messages('call event').some((r) => r.callUuid && r.state === 'Established' && r.dn === '5001'));
  assert.ok(messages('call event').some((r) => r.state === 'Released'));
  assert.ok(messages('agent state').some((r) => r.dn === '5001' && r.state === 'Ready'));
  assert.ok(messages('supervision event').some((r) => r.event === 'Armed' && r.mode === 'ListenIn'));
  assert.ok(messages('supervision event').some((r) => r.event === 'Joined'));

  const all = lines.join('');
  for (const secret of secrets) assert.ok(!all.includes(secret), `the log holds a secret: ${secret.slice(0, 12)}…`);
  const pretty: string[] = [];
  const stream = prettyLogStream({ write: (t: string) => pretty.push(t) });
  for (const line of lines) stream.write(line);
  assert.equal(pretty.length, records.length, 'one pretty line per record');
  for (const secret of secrets) assert.ok(!pretty.join('').includes(secret));
});

test('pretty lines: time, level, component, message, then key=value; a line that is not JSON passes as it is', () => {
  const line = prettyLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), component: 'bayeux', msg: 'request completed', user: 'agent1', route: '/api/v2/me', note: 'two words' }));
  assert.equal(line, '03:04:05.006 INFO  [bayeux] request completed user=agent1 route=/api/v2/me note="two words"');
  assert.equal(prettyLine('not json'), 'not json');
  const out: string[] = [];
  const stream = prettyLogStream({ write: (t: string) => out.push(t) });
  stream.write('{"level":40,"msg":"half');
  assert.equal(out.length, 0, 'a partial record waits for its newline');
  stream.write('"}\n');
  assert.match(out[0], /WARN  half\n$/);
});

test('pretty stream: once its target fails (EPIPE), it stops writing instead of failing again', () => {
  const target = new EventEmitter() as EventEmitter & { write(text: string): boolean };
  const written: string[] = [];
  target.write = (text: string) => written.push(text) > 0;
  const stream = prettyLogStream(target);
  stream.write('{"level":30,"msg":"before"}\n');
  target.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  stream.write('{"level":30,"msg":"after"}\n');
  assert.equal(written.length, 1);
  assert.match(written[0], /before/);
});
