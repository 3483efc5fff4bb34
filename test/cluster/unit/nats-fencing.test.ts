/**
 * The JetStream log and the KV lease against a real nats-server (test/helpers/nats.ts), and
 * fencing (issue 11 point 3): two owners of one contact center over the same JetStream log — the
 * stale one's append is refused by the server and its state does not change; the new owner has
 * the stale one's state and carries on. Also: an empty log's first append is checked too
 * (expected sequence 0), and the lease has one holder, renews by revision and expires by TTL.
 * Last, the log's identity: every open of the stream names it alike, a stream made anew otherwise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { subjects } from '../../../src/cluster/contract.js';
import { JetStreamCommandLog } from '../../../src/cluster/jetstream-log.js';
import { KvLease } from '../../../src/cluster/kv-lease.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { systemClock } from '../../../src/switch/clock.js';
import { startTestNats, type TestNats } from '../../helpers/nats.js';
import { EventCollector } from '../../helpers/wait.js';
import { defaultSettings } from '../../helpers/switch-harness.js';
import { ccTopology, stateOf } from './logged-helpers.js';

let nats: TestNats;
let nc: NatsConnection;

before(async () => {
  nats = await startTestNats();
  nc = await connect({ servers: nats.url });
});

after(async () => {
  await nc?.close();
  await nats?.stop();
});

test('JetStream log: appends need the expected last sequence of their contact center, 0 included', async () => {
  const log = await JetStreamCommandLog.open(nc);
  const first = await log.append('cc-a', { kind: 'owner', at: 1, node: 'n1' }, 0);
  assert.ok(first.ok);
  const again = await log.append('cc-a', { kind: 'owner', at: 2, node: 'n2' }, 0);
  assert.deepEqual(again, { ok: false, lastSeq: first.seq }, 'a second first append must be refused');
  // another contact center's appends move the stream sequence, not this subject's
  const other = await log.append('cc.b with spaces', { kind: 'owner', at: 3, node: 'n1' }, 0);
  assert.ok(other.ok);
  const second = await log.append('cc-a', { kind: 'timer', at: 4, timer: 0 }, first.seq);
  assert.ok(second.ok);
  assert.equal(await log.lastSeq('cc-a'), second.seq);
  const all = await log.read('cc-a');
  assert.deepEqual(all.map((e) => e.entry.kind), ['owner', 'timer']);
  assert.deepEqual((await log.read('cc-a', first.seq)).map((e) => e.seq), [second.seq]);
  assert.deepEqual(await log.read('cc-a', second.seq), []);
  assert.deepEqual(await log.read('never-written'), []);
});

test('fencing: a stale owner appends nothing and changes nothing; the new owner has its state', async () => {
  const log = await JetStreamCommandLog.open(nc);
  const lost: string[] = [];
  const first = await LoggedSwitch.open({ ccId: 'fenced', node: 'n1', log, clock: systemClock, onLost: (why) => lost.push(why) });
  await first.configure(ccTopology('fenced', defaultSettings()));
  assert.ok((await first.login('5001', { userId: 'u5001', isAgent: true })).ok);
  const call = await first.simulateInbound('+15551234', '5001');
  assert.ok(call.ok);
  const known = new Set([call.value.callUuid]);
  const before = stateOf(first, known);
  const lastBefore = await log.lastSeq('fenced');

  // the second node takes over while the first still believes it owns the contact center
  const second = await LoggedSwitch.open({ ccId: 'fenced', node: 'n2', log, clock: systemClock });
  assert.deepEqual(stateOf(second, known), before, 'the new owner rebuilt a different state');
  const ownerSeq = await log.lastSeq('fenced');
  assert.ok(ownerSeq > lastBefore);

  const refused = await first.callOperation('5001', call.value.callUuid, { name: 'Answer' });
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.error.message : '', /moving to another node/);
  assert.deepEqual(stateOf(first, known), before, "the stale owner's state changed");
  assert.equal(await log.lastSeq('fenced'), ownerSeq, 'the stale owner appended');
  assert.equal(lost.length, 1, 'the stale owner was told once that it lost the contact center');
  const later = await first.setAgentState('5001', { state: 'Ready' });
  assert.equal(later.ok, false, 'a lost switch refuses every later command');

  // the new owner carries on
  assert.ok((await second.callOperation('5001', call.value.callUuid, { name: 'Answer' })).ok);
  assert.equal(second.callView(call.value.callUuid, '5001')?.state, 'Established');
  first.stop();
  second.stop();
});

test('KV lease: one holder, renewal by revision, release, and expiry after the TTL', async () => {
  const lease = await KvLease.open(nc, 1000);
  const changes = new EventCollector<string>('lease changes');
  const stop = lease.observe((cc, owner) => changes.push(`${cc}=${owner ?? '-'}`));
  const a = await lease.acquire('cc.lease', 'n1');
  assert.ok(a, 'the first node takes a free lease');
  assert.equal(await lease.acquire('cc.lease', 'n2'), undefined, 'a held lease cannot be taken');
  assert.equal(await lease.owner('cc.lease'), 'n1');
  const renewed = await lease.renew(a);
  assert.ok(renewed && renewed.revision > a.revision);
  assert.equal(await lease.renew(a), undefined, 'an old revision cannot renew');
  await lease.release(renewed);
  assert.equal(await lease.owner('cc.lease'), undefined);
  await changes.next((c) => c === 'cc.lease=-', 3000, 'the observer to hear the release');
  const b = await lease.acquire('cc.lease', 'n2');
  assert.ok(b, 'a released lease is free at once');
  // n2 stops renewing: the bucket's TTL removes the key, and anyone can take it
  await changes.next((c) => c === 'cc.lease=n2', 3000, 'the observer to hear n2 take the lease');
  await changes.next((c) => c === 'cc.lease=-', 5000, "the observer to hear n2's lease expire");
  assert.equal(await lease.owner('cc.lease'), undefined);
  assert.equal(await lease.renew(b), undefined, 'an expired lease cannot be renewed');
  assert.ok(await lease.acquire('cc.lease', 'n3'), 'an expired lease can be taken');
  await changes.next((c) => c === 'cc.lease=n3', 3000, 'the observer to hear n3 take the lease');
  stop();
  await lease.close();
});

test('group commit: commands sent together share one append, replay the same, and a stale owner’s whole batch is refused', async () => {
  const log = await JetStreamCommandLog.open(nc);
  const sw = await LoggedSwitch.open({ ccId: 'grouped', node: 'n1', log, clock: systemClock });
  await sw.configure(ccTopology('grouped', defaultSettings()));
  for (const dn of ['5001', '5002', '5003']) assert.ok((await sw.login(dn, { userId: 'u' + dn, isAgent: true })).ok);
  const before = await log.lastSeq('grouped');
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => sw.setDoNotDisturb(['5001', '5002', '5003'][i % 3], i % 2 === 0)),
  );
  assert.deepEqual(answers.map((a) => a.ok), answers.map(() => true));
  const written = await log.read('grouped', before);
  assert.ok(written.some((e) => e.entry.kind === 'batch'), `commands sent together were not grouped: ${written.map((e) => e.entry.kind).join(' ')}`);
  assert.ok(written.length < 30, `30 commands took ${written.length} appends`);
  const known = new Set<string>();
  assert.deepEqual(stateOf(LoggedSwitch.replayLog(await log.read('grouped'), { ccId: 'grouped', clock: systemClock }), known), stateOf(sw, known));

  const next = await LoggedSwitch.open({ ccId: 'grouped', node: 'n2', log, clock: systemClock });
  const stale = stateOf(sw, known);
  const refused = await Promise.all(Array.from({ length: 10 }, () => sw.setForward('5001', '5002')));
  assert.ok(refused.every((r) => !r.ok), 'a command of the stale batch was accepted');
  assert.deepEqual(stateOf(sw, known), stale);
  assert.deepEqual(stateOf(next, known), stale);
  sw.stop();
  next.stop();
});

// last in this file: it deletes the stream the tests above wrote
test("the log's identity: the same for every node's open, at any time; another once the stream is made again", async () => {
  const first = await JetStreamCommandLog.open(nc);
  const otherNode = await connect({ servers: nats.url });
  try {
    const again = await JetStreamCommandLog.open(otherNode);
    assert.match(first.identity, /^SWITCHBOARD_LOG created \d{4}-\d\d-\d\dT/);
    assert.equal(again.identity, first.identity, 'another connection (a node) names the same log');
    await (await nc.jetstreamManager()).streams.delete(subjects.logStream);
    const remade = await JetStreamCommandLog.open(otherNode);
    assert.notEqual(remade.identity, first.identity, 'a log made anew (its call state started over) has another identity');
  } finally {
    await otherNode.close();
  }
});
