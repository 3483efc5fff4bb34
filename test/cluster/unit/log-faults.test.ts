/**
 * A command log that cannot be written (NATS unreachable): the logged switch stores nothing and
 * applies nothing, answers commands with ownerUnavailable and stays the owner; a timer whose firing
 * could not be logged is tried again and fires once the log is back; replay still equals live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoggedSwitch } from '../../../src/cluster/logged-switch.js';
import { MemoryCommandLog } from '../../../src/cluster/memory-log.js';
import type { LogEntry } from '../../../src/cluster/contract.js';
import { VirtualClock } from '../../../src/switch/clock.js';
import { defaultSettings } from '../../helpers/switch-harness.js';
import { ccTopology, stateOf, syncPort } from './logged-helpers.js';

/** the in-memory log, unreachable while `down` */
class FlakyLog extends MemoryCommandLog {
  down = false;
  override append(ccId: string, entry: LogEntry, expected: number) {
    if (this.down) throw new Error('nats: connection closed');
    return super.append(ccId, entry, expected);
  }
}

test('an unwritable log applies nothing, answers retry, keeps the owner; timers fire once it is back', () => {
  const clock = new VirtualClock();
  const log = new FlakyLog();
  const errors: string[] = [];
  const sw = LoggedSwitch.open({ ccId: 'cc1', node: 'n1', log, clock, switchLog: { error: (_o, m) => errors.push(m ?? '') } });
  assert.ok(sw instanceof LoggedSwitch);
  const port = syncPort(sw);
  port.configure(ccTopology('cc1', defaultSettings({ externalAnswerDelayMs: 1000 })));
  port.login('5001', { userId: 'u5001', isAgent: true });
  const dial = port.dial('5001', { phoneNumber: '+442071234567' });
  assert.ok(dial.ok);
  const known = new Set([dial.value.callUuid]);
  assert.equal(port.callView(dial.value.callUuid, '5001')?.state, 'Dialing');

  log.down = true;
  const before = stateOf(sw, known);
  const r = port.setDoNotDisturb('5001', true);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /command log cannot be written now\): nothing was changed; retry in 3 seconds/);
  assert.deepEqual(stateOf(sw, known), before, 'an unlogged command changed the state');
  clock.advance(1500); // the external party's answer is due, but its firing cannot be logged
  assert.equal(port.callView(dial.value.callUuid, '5001')?.state, 'Dialing', 'an unlogged timer fired');
  assert.equal(sw.lostBecause, undefined, 'an unreachable log is not a lost ownership');
  assert.ok(errors.includes('cluster: the command log could not be written'));

  log.down = false;
  clock.advance(1000);
  assert.equal(port.callView(dial.value.callUuid, '5001')?.state, 'Established', 'the timer fired once the log was back');
  assert.ok(port.setDoNotDisturb('5001', true).ok);
  assert.deepEqual(stateOf(LoggedSwitch.replayLog(log.read('cc1'), { ccId: 'cc1', clock }), known), stateOf(sw, known));
});
