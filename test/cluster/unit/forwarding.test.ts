/**
 * The owner's command server and the forwarding port against a real nats-server (issue 11 point
 * 2): a non-owner's calls reach the owner's logged switch and come back with the same answers
 * (DomainError codes included); with no owner a command answers ownerUnavailable and a query
 * throws it, within the retry time (never a hang); an owner that appears while a call is retried
 * answers it; an owner that lost the contact center answers unavailable; an owner that does not
 * answer in time gives "may have been applied".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { DomainError } from '../../../src/errors.js';
import { serveCommands } from '../../../src/cluster/command-server.js';
import { forwardingPort } from '../../../src/cluster/forwarding-port.js';
import { JetStreamCommandLog } from '../../../src/cluster/jetstream-log.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { subjects } from '../../../src/cluster/contract.js';
import { systemClock } from '../../../src/switch/clock.js';
import { startTestNats, type TestNats } from '../../helpers/nats.js';
import { EventCollector, withTimeout } from '../../helpers/wait.js';
import { defaultSettings } from '../../helpers/switch-harness.js';
import { ccTopology } from './logged-helpers.js';

let nats: TestNats;
let owner: NatsConnection;
let other: NatsConnection;

before(async () => {
  nats = await startTestNats();
  owner = await connect({ servers: nats.url });
  other = await connect({ servers: nats.url });
});

after(async () => {
  await owner?.close();
  await other?.close();
  await nats?.stop();
});

async function ownedSwitch(ccId: string): Promise<LoggedSwitch> {
  const sw = await LoggedSwitch.open({ ccId, node: 'owner', log: await JetStreamCommandLog.open(owner), clock: systemClock });
  await sw.configure(ccTopology(ccId, defaultSettings()));
  return sw;
}

test('a forwarded call gets the owner’s answer: commands, queries, refusals with their code', async () => {
  const sw = await ownedSwitch('fwd-a');
  const stop = serveCommands(owner, 'fwd-a', sw);
  const port = forwardingPort(other, 'fwd-a');
  assert.deepEqual(await port.login('5001', { userId: 'u5001', isAgent: true }), { ok: true });
  const call = await port.simulateInbound('+15551234', '5001', { Account: '42' });
  assert.ok(call.ok);
  assert.deepEqual(await port.callView(call.value.callUuid, '5001'), sw.callView(call.value.callUuid, '5001'));
  assert.deepEqual(await port.device('5001'), sw.device('5001'));
  assert.deepEqual(await port.callsOf('5001'), [call.value.callUuid]);
  assert.equal(await port.callContactCenter(call.value.callUuid), 'fwd-a');
  assert.deepEqual(await port.media(call.value.callUuid), sw.media(call.value.callUuid));
  assert.equal(await port.callView('NOPE', '5001'), undefined);
  const refused = await port.login('4242', { userId: 'x', isAgent: true });
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.error instanceof DomainError);
  assert.equal(!refused.ok && refused.error.code, 'NotFound');
  assert.match(!refused.ok ? refused.error.message : '', /4242 is not an extension/);
  assert.ok((await port.callOperation('5001', call.value.callUuid, { name: 'Answer' })).ok);
  assert.equal(sw.callView(call.value.callUuid, '5001')?.state, 'Established', 'the command ran on the owner');
  await stop();
  sw.stop();
});

test('no owner: a command answers ownerUnavailable and a query throws it, once the retry time is over', async () => {
  const port = forwardingPort(other, 'fwd-nobody', { retryForMs: 300, retryEveryMs: 50 });
  const r = await withTimeout(port.setDoNotDisturb('5001', true), 3000, 'the command to give up');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'Unavailable');
  assert.match(!r.ok ? r.error.message : '', /moving to another node or out of reach \(no node owns it, after 300 ms\): nothing was changed; retry in 3 seconds/);
  await assert.rejects(withTimeout(port.device('5001'), 3000, 'the query to give up'), (err: unknown) => err instanceof DomainError && /retry/.test(err.message));
});

test('an owner that appears while a call is retried answers it', async () => {
  const noOwner = new EventCollector<string>('attempts without owner');
  const port = forwardingPort(other, 'fwd-late', { retryForMs: 10_000, retryEveryMs: 20, onNoOwner: (m) => noOwner.push(m) });
  const pending = port.login('5001', { userId: 'u5001', isAgent: true });
  await noOwner.next((m) => m === 'login', 3000, 'a first attempt that found no owner');
  const sw = await ownedSwitch('fwd-late');
  const stop = serveCommands(owner, 'fwd-late', sw);
  assert.deepEqual(await withTimeout(pending, 5000, 'the retried login'), { ok: true });
  assert.equal(sw.device('5001')?.loggedIn, true);
  await stop();
  sw.stop();
});

test('an owner that lost the contact center answers unavailable; a silent one gives "may have been applied"', async () => {
  const sw = await ownedSwitch('fwd-lost');
  const stop = serveCommands(owner, 'fwd-lost', sw);
  sw.relinquish('lease lost');
  const port = forwardingPort(other, 'fwd-lost', { retryForMs: 200, retryEveryMs: 50 });
  const r = await port.logout('5001');
  assert.match(!r.ok ? r.error.message : '', /lease lost, after 200 ms/);
  await stop();
  sw.stop();

  const silent = owner.subscribe(subjects.command('fwd-silent')); // receives, never answers
  const timed = forwardingPort(other, 'fwd-silent', { timeoutMs: 150 });
  const t = await withTimeout(timed.logout('5001'), 3000, 'the timed-out command');
  assert.match(!t.ok ? t.error.message : '', /did not answer logout within 150 ms: it may have been applied; look \(GET\) before retrying/);
  silent.unsubscribe();
});
