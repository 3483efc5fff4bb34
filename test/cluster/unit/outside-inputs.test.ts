/**
 * Inputs a logged switch gets from its endpoints outside any command (a SIP trunk's INVITE, a
 * phone hanging up): an incoming call is applied at once, answered synchronously and logged; a
 * fact is logged before it is applied; both replay to the same state. A stale switch applies no
 * outside fact and, once it knows it is lost, refuses outside calls (a call that arrives before it
 * knows is the documented exception: applied, then its append refused, see logged-switch.ts).
 * A takeover hangs up the legs whose phones were on the old owner, through the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorOf } from '../../../src/endpoints/port.js';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import type { LoggedSwitchOptions } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import { VirtualClock } from '../../../src/switch/clock.js';
import { FakePhones } from '../../helpers/switch-contract.js';
import { defaultSettings } from '../../helpers/switch-harness.js';
import { ccTopology, stateOf, syncPort } from './logged-helpers.js';

const CC = 'cc1';

function withPhones(node = 'n1', log = new MemoryCommandLog(), clock = new VirtualClock()) {
  const made: FakePhones[] = [];
  const options: LoggedSwitchOptions = {
    ccId: CC,
    node,
    log,
    clock,
    endpoints: (host, simulated) => {
      const phones = new FakePhones(host);
      made.push(phones);
      return selectorOf(simulated, [{ endpoints: phones, serves: () => true }]);
    },
  };
  const sw = LoggedSwitch.open(options);
  assert.ok(sw instanceof LoggedSwitch);
  return { sw, port: syncPort(sw), phones: made[made.length - 1], log, clock, options };
}

const replayOf = (log: MemoryCommandLog, options: LoggedSwitchOptions) => LoggedSwitch.replayLog(log.read(CC), options);

test('an incoming call from outside a command is applied at once, logged, and replays the same', () => {
  const { sw, port, phones, log, options } = withPhones();
  port.configure(ccTopology(CC, defaultSettings()));
  port.login('5001', { userId: 'u5001', isAgent: true });
  const r = phones.host.incoming({ from: '+15551234', to: '5001' }, phones);
  assert.ok(r.ok, 'the trunk gets its answer synchronously');
  const callUuid = r.value.callUuid;
  assert.equal(port.callView(callUuid, '5001')?.state, 'Ringing');
  const kinds = log.read(CC).map((e) => e.entry.kind);
  assert.ok(kinds.includes('incoming'), `the incoming call was logged: ${kinds.join(' ')}`);
  const known = new Set([callUuid]);
  assert.deepEqual(stateOf(replayOf(log, options), known), stateOf(sw, known));

  port.callOperation('5001', callUuid, { name: 'Answer' });
  assert.equal(port.callView(callUuid, '5001')?.state, 'Established');
  // the customer hangs up: a fact from outside any command, logged before it is applied
  phones.host.fact({ kind: 'HungUp', leg: { callUuid, dn: '+15551234' } });
  assert.equal(port.callView(callUuid, '5001'), undefined, 'the call ended');
  assert.equal(log.read(CC).at(-1)?.entry.kind === 'fact' || log.read(CC).at(-2)?.entry.kind === 'fact', true, 'the fact was logged');
  assert.deepEqual(stateOf(replayOf(log, options), known), stateOf(sw, known));
});

test('a stale switch applies no outside fact (logged first), then refuses outside calls', () => {
  const { sw, port, phones, log, clock } = withPhones();
  port.configure(ccTopology(CC, defaultSettings()));
  port.login('5001', { userId: 'u5001', isAgent: true });
  const call = phones.host.incoming({ from: '+15551234', to: '5001' }, phones);
  assert.ok(call.ok);
  const known = new Set([call.value.callUuid]);
  const next = withPhones('n2', log, clock);
  const before = stateOf(sw, known);
  phones.host.fact({ kind: 'HungUp', leg: { callUuid: call.value.callUuid, dn: '+15551234' } });
  assert.deepEqual(stateOf(sw, known), before, 'the stale switch applied a fact the log refused');
  assert.ok(sw.lostBecause, 'the refused append told the stale switch it lost the contact center');
  const r = phones.host.incoming({ from: '+15559999', to: '5001' }, phones);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /moving to another node/);
  assert.deepEqual(stateOf(sw, known), before);
  assert.equal(next.port.callsOf('5001').length, 0, "the new owner hung up the old owner's phone call and got nothing else");
});

test("a takeover hangs up the legs whose phones were on the old owner, through the log", () => {
  const { port, phones, log, clock } = withPhones();
  port.configure(ccTopology(CC, defaultSettings()));
  port.login('5001', { userId: 'u5001', isAgent: true });
  const r = phones.host.incoming({ from: '+15551234', to: '5001' }, phones);
  assert.ok(r.ok);
  port.callOperation('5001', r.value.callUuid, { name: 'Answer' });
  assert.equal(port.callView(r.value.callUuid, '5001')?.state, 'Established');
  const next = withPhones('n2', log, clock);
  assert.equal(next.port.callView(r.value.callUuid, '5001'), undefined, "the old owner's phone call was released");
  assert.deepEqual(next.port.callsOf('5001'), []);
  const tail = log.read(CC).map((e) => e.entry.kind);
  assert.equal(tail.at(-1) === 'fact' || tail.includes('fact'), true, `the hang-up went through the log: ${tail.join(' ')}`);
  assert.deepEqual(stateOf(replayOf(log, next.options), new Set([r.value.callUuid])), stateOf(next.sw, new Set([r.value.callUuid])));
});
