/**
 * The hot standby (src/cluster/standby.ts) over the in-memory log: random steps — the switch
 * property test's generator and step, as in replay.test.ts — against a live logged switch, with a
 * standby following the log from its start and a second one joining half-way (it catches up from
 * the log's start). After every step each standby's replica equals the live state (device views,
 * calls, call views, media, pending timers). Then a takeover from the first standby replays only
 * what it had not applied (the owner entry), equals a full replay of the same log, fences the old
 * owner, and carries on as a full replay of the log says. With simulated endpoints and with
 * FakePhones through the tape. Also: a replica held back by one input replays exactly the unread
 * tail at takeover; a replica that diverges is dropped (logged) and the takeover replays the whole
 * log; a standby over a log without a tail is never started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CommandLog } from '../../../src/cluster/contract.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import { Standby, Standbys, TAKEOVER_REPLAYED } from '../../../src/cluster/standby.js';
import { VirtualClock } from '../../../src/switch/clock.js';
import { intent, step } from '../../helpers/switch-contract.js';
import { AGENTS } from '../../helpers/switch-harness.js';
import { configuredOwner, fakePhones, stateOf, syncPort } from './logged-helpers.js';
import type { LiveEndpoints } from './logged-helpers.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const RUNS = Number(process.env.FC_RUNS ?? 20);
const CC = 'cc1';

type Endpoints = LiveEndpoints;

/** a log sink that fails the test on a warning unless told to keep them */
function lines() {
  const seen: { level: string; o: object; m: string }[] = [];
  return {
    seen,
    logger: { info: (o: object, m: string) => seen.push({ level: 'info', o, m }), warn: (o: object, m: string) => seen.push({ level: 'warn', o, m }) },
    warns: () => seen.filter((l) => l.level === 'warn'),
  };
}

const liveOwner = (endpoints: Endpoints | undefined, autoAnswer = false) => configuredOwner(CC, endpoints, autoAnswer);

function assertSameSwitch(replica: LoggedSwitch | undefined, live: LoggedSwitch, known: ReadonlySet<string>, what: string): void {
  assert.ok(replica, `${what}: no replica`);
  assert.deepEqual(stateOf(replica, known), stateOf(live, known), `${what}: the state differs`);
  assert.equal(replica.clock.pendingTimers(), live.clock.pendingTimers(), `${what}: pending timers differ`);
}

function property(endpoints: Endpoints | undefined): void {
  fc.assert(
    fc.property(fc.array(intent, { minLength: 10, maxLength: 80, size: 'max' }), fc.boolean(), (intents, autoAnswer) => {
      const sink = lines();
      const { clock, log, errors, options, live, sw } = liveOwner(endpoints, autoAnswer);
      const replicaOptions = { ccId: CC, clock, switchLog: { error: (o: object) => errors.push(o) } };
      const early = new Standby(log, replicaOptions, sink.logger.warn);
      let late: Standby | undefined;
      const known = new Set<string>();
      for (const [n, i] of intents.entries()) {
        step({ sw, clock }, i, known);
        if (n === Math.floor(intents.length / 2)) late = new Standby(log, replicaOptions, sink.logger.warn);
        for (const standby of late ? [early, late] : [early]) {
          standby.settle();
          assertSameSwitch(standby.switch, live, known, `standby after step ${n} (${i.kind})`);
        }
      }
      assert.deepEqual(sink.warns(), [], 'a standby was dropped');
      assert.deepEqual(errors, [], 'the switch logged internal failures');
      late!.stop();

      // n2 takes over from its standby: only the owner entry is replayed
      const next = LoggedSwitch.open({ ...options, node: 'n2' }, 5, early.take());
      assert.ok(next instanceof LoggedSwitch);
      assert.equal(next.replayedAtTakeover, 1, 'the takeover from a settled standby replays its owner entry only');
      const entries = log.read(CC);
      const rebuilt = LoggedSwitch.replayLog(entries, { ccId: CC, clock, ...(endpoints ? { endpoints } : {}) });
      assertSameSwitch(rebuilt, next, known, 'a full replay against the takeover from the standby');
      const refused = sw.login('5001', { userId: 'u5001', isAgent: true });
      assert.equal(refused.ok, false, 'the stale owner still accepted a command');
      clock.advance(5000);
      const after = LoggedSwitch.replayLog(log.read(CC), { ccId: CC, clock, ...(endpoints ? { endpoints } : {}) });
      assertSameSwitch(after, next, known, 'after the takeover, a full replay against the new owner');
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
}

test('a standby follows every random step and a takeover from it equals a full replay (simulated endpoints)', () => {
  property(undefined);
});

test('a standby follows every random step and a takeover from it equals a full replay (phones: the tape)', () => {
  property(fakePhones);
});

test('an input is held until its tapes are known; the takeover replays exactly the unread tail', () => {
  const { clock, log, options, sw } = liveOwner(fakePhones);
  const standby = new Standby(log, { ccId: CC, clock }, () => assert.fail('dropped'));
  sw.simulateInbound('+15551111', AGENTS[0]);
  sw.simulateInbound('+15552222', AGENTS[1]);
  const entries = log.read(CC);
  assert.ok(entries.some((e) => e.entry.kind === 'observed'), 'the phones decided something: a tape was written');
  assert.equal(standby.receivedSequence, entries[entries.length - 1].seq, 'the standby received every entry');
  const unread = entries.filter((e) => e.seq > standby.sequence).length;
  assert.ok(unread >= 1, 'the last input is held');
  const next = LoggedSwitch.open({ ...options, node: 'n2' }, 5, standby.take());
  assert.ok(next instanceof LoggedSwitch);
  assert.equal(next.replayedAtTakeover, unread + 1, 'the held input, its tapes and the owner entry');
});

/** how many entries the log has up to the owner entry of `node` (what its takeover replayed) */
function throughOwner(log: MemoryCommandLog, node: string): number {
  return log.read(CC).findIndex((e) => e.entry.kind === 'owner' && e.entry.node === node) + 1;
}

/** a standby registry over `log` whose node logs into `sink` */
function registry(log: CommandLog, clock: VirtualClock, sink: ReturnType<typeof lines>) {
  return new Standbys({ log, enabled: true, replica: (ccId) => ({ ccId, clock }), logger: sink.logger });
}

test('a replica that diverges is dropped (logged) and the takeover replays the whole log', async () => {
  const { clock, log, options, sw } = liveOwner(fakePhones);
  const sink = lines();
  const standbys = registry(log, clock, sink);
  standbys.watch(CC);
  const standby = standbys.of(CC)!;
  // settled as soon as an input arrives, before its tapes: the replica applies it without them
  log.follow(CC, log.lastSeq(CC), (e) => e.entry.kind !== 'observed' && standby.settle());
  sw.simulateInbound('+15551111', AGENTS[0]);
  standby.settle();
  assert.match(standby.droppedBecause ?? '', /replay diverged: a tape for entry \d+, which was applied already without it/);
  assert.equal(sink.warns().length, 1, 'the drop is logged once');
  const sw2 = await standbys.open({ ...options, node: 'n2' });
  const upToOwner = throughOwner(log, 'n2');
  assert.equal(sw2.replayedAtTakeover, upToOwner, 'the whole log was replayed');
  assert.deepEqual(sink.seen.find((l) => l.m === TAKEOVER_REPLAYED)?.o, { ccId: CC, replayed: upToOwner, fromStandby: false });
});

test('the takeover falls back to a full replay when the replica does not continue into the tail', async () => {
  const { clock, log, options, sw } = liveOwner(undefined);
  const sink = lines();
  const standbys = registry(log, clock, sink);
  standbys.watch(CC);
  sw.simulateInbound('+15551111', '7000');
  const standby = standbys.of(CC)!;
  standby.settle();
  // the replica is spoilt behind the standby's back: its next entry cannot be applied
  standby.switch!.replayMore([{ seq: log.lastSeq(CC) + 1000, entry: { kind: 'owner', at: clock.now(), node: 'x' } }]);
  const sw2 = await standbys.open({ ...options, node: 'n2' });
  assert.equal(sw2.replayedAtTakeover, throughOwner(log, 'n2'), 'the whole log was replayed');
  assert.match(sink.warns()[0]?.m ?? '', /could not take over; replaying the whole log/);
  assert.deepEqual(sink.seen.find((l) => l.m === TAKEOVER_REPLAYED)?.o, { ccId: CC, replayed: throughOwner(log, 'n2'), fromStandby: false });
});

test('the takeover through the registry logs how many entries it replayed from the standby', async () => {
  const { clock, log, options, sw } = liveOwner(undefined);
  const sink = lines();
  const standbys = registry(log, clock, sink);
  standbys.watch(CC);
  for (let i = 0; i < 20; i++) sw.setDoNotDisturb(AGENTS[0], i % 2 === 0);
  const sw2 = await standbys.open({ ...options, node: 'n2' });
  // the last DND toggle was held (its tapes unknown), then the owner entry
  assert.deepEqual(sink.seen.find((l) => l.m === TAKEOVER_REPLAYED)?.o, { ccId: CC, replayed: 2, fromStandby: true });
  assert.equal(sw2.replayedAtTakeover, 2);
  assert.equal(syncPort(sw2).device(AGENTS[0])?.dnd, false);
  assert.equal(standbys.of(CC), undefined, 'the standby became the owner');
});

test('no standby over a log that cannot be followed, nor when disabled', () => {
  const clock = new VirtualClock();
  const memory = new MemoryCommandLog();
  const noTail: CommandLog = { append: (...a) => memory.append(...a), read: (...a) => memory.read(...a), lastSeq: (cc) => memory.lastSeq(cc), close: async () => undefined };
  const sink = lines();
  const withoutTail = registry(noTail, clock, sink);
  withoutTail.watch(CC);
  assert.equal(withoutTail.of(CC), undefined);
  const disabled = new Standbys({ log: memory, enabled: false, replica: (ccId) => ({ ccId, clock }), logger: sink.logger });
  disabled.watch(CC);
  assert.equal(disabled.of(CC), undefined);
});
