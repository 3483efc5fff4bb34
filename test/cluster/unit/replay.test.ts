/**
 * The replay property (issue 11 point 3): random steps — the switch property test's own generator
 * and step (test/helpers/switch-contract.ts) — against a live logged switch over the in-memory log;
 * after every step, replaying the log into a fresh switch gives exactly the live state: every device
 * view, every DN's calls, every call view of every DN, every media matrix and the number of pending
 * timers. Run with simulated endpoints only, and with FakePhones as the live endpoints (their
 * decisions reach the replay through the endpoint tape and logged facts). Then a second node takes
 * over the same log: it has the same state, the first one is fenced, and the second carries on.
 * Seed fixed (FC_SEED, FC_RUNS to vary); fast-check prints the seed and path of a failing run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import { VirtualClock } from '../../../src/switch/clock.js';
import { intent, step } from '../../helpers/switch-contract.js';
import { defaultSettings } from '../../helpers/switch-harness.js';
import { ccTopology, configuredOwner, fakePhones, stateOf, syncPort } from './logged-helpers.js';
import type { LiveEndpoints } from './logged-helpers.js';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const RUNS = Number(process.env.FC_RUNS ?? 30);
const CC = 'cc1';

type Endpoints = LiveEndpoints;

function property(endpoints: Endpoints | undefined): void {
  fc.assert(
    fc.property(fc.array(intent, { minLength: 10, maxLength: 80, size: 'max' }), fc.boolean(), (intents, autoAnswer) => {
      const { clock, log, errors, options, live, sw } = configuredOwner(CC, endpoints, autoAnswer);
      const known = new Set<string>();
      const replayed = () => LoggedSwitch.replayLog(log.read(CC), { ccId: CC, clock, ...(endpoints ? { endpoints } : {}) });
      for (const [n, i] of intents.entries()) {
        step({ sw, clock }, i, known);
        const fresh = replayed();
        assert.deepEqual(stateOf(fresh, known), stateOf(live, known), `replay differs from the live switch after step ${n} (${i.kind})`);
        assert.equal(fresh.clock.pendingTimers(), live.clock.pendingTimers(), `pending timers differ after step ${n} (${i.kind})`);
      }
      assert.deepEqual([...errors], [], 'the switch logged internal failures');

      // a second node takes over: same state, the first is fenced, the second carries on
      const next = LoggedSwitch.open({ ...options, node: 'n2', switchLog: { error: (o) => errors.push(o) } });
      assert.ok(next instanceof LoggedSwitch);
      const before = stateOf(live, known);
      const entries = log.read(CC);
      const taken = entries.findIndex((e) => e.entry.kind === 'owner' && e.entry.node === 'n2');
      const rebuilt = LoggedSwitch.replayLog(entries.slice(0, taken + 1), { ccId: CC, clock, ...(endpoints ? { endpoints } : {}) });
      assert.deepEqual(stateOf(rebuilt, known), before, 'the new owner rebuilt a different state');
      // with simulated endpoints nothing changes on going live; phones' legs are hung up (their dialogues were on n1)
      if (!endpoints) assert.deepEqual(stateOf(next, known), before, 'the new owner changed the state on going live');
      const refused = sw.login('5001', { userId: 'u5001', isAgent: true });
      assert.equal(refused.ok, false, 'the stale owner still accepted a command');
      assert.match(!refused.ok ? refused.error.message : '', /moving to another node/);
      assert.deepEqual(stateOf(live, known), before, 'a refused command changed the stale owner');
      assert.ok(live.lostBecause, 'the stale owner does not know it lost the contact center');
      clock.advance(5000);
      const after = LoggedSwitch.replayLog(log.read(CC), { ccId: CC, clock, ...(endpoints ? { endpoints } : {}) });
      assert.deepEqual(stateOf(after, known), stateOf(next, known), 'after the takeover, replay differs from the new owner');
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
}

test('replaying the log equals the live state after every random step (simulated endpoints)', () => {
  property(undefined);
});

test('replaying the log equals the live state after every random step (phones as live endpoints: the tape)', () => {
  property(fakePhones);
});

test('a replay that does not match its tape fails loudly', () => {
  const clock = new VirtualClock();
  const log = new MemoryCommandLog();
  const live = LoggedSwitch.open({ ccId: CC, node: 'n1', log, clock, endpoints: fakePhones });
  assert.ok(live instanceof LoggedSwitch);
  const sw = syncPort(live);
  sw.configure(ccTopology(CC, defaultSettings()));
  sw.login('5001', { userId: 'u5001', isAgent: true });
  sw.simulateInbound('+15551234', '5001');
  const entries = log.read(CC);
  assert.ok(entries.some((e) => e.entry.kind === 'observed'), 'the phones decided something: a tape was written');
  const tampered = entries.map((e) => (e.entry.kind === 'observed' ? { ...e, entry: { ...e.entry, tape: [...e.entry.tape, { k: 'audit' as const, ok: false }] } } : e));
  assert.throws(() => LoggedSwitch.replayLog(tampered, { ccId: CC, clock, endpoints: fakePhones }), /replay diverged/);
});
