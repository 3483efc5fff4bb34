/**
 * The switch event logger: an agent-state change is one info line with its fields; at a level
 * above info no line is built at all (the event's view is never read); a sink that throws never
 * reaches the switch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { switchEventLogger } from '../../src/gws/logging-events.js';
import type { DeviceEvent } from '../../src/switch/model.js';

function agentStateEvent(reads: { count: number }): DeviceEvent {
  const view = { dn: '5001', contactCenterId: 'cc', loggedIn: true, dnd: false, capabilities: [] };
  return {
    kind: 'device',
    dn: '5001',
    userId: 'u1',
    agentStateChanged: true,
    view: Object.defineProperty(view, 'agentState', {
      get() {
        reads.count++;
        return { state: 'NotReady', workMode: 'AfterCallWork', reason: 'lunch' };
      },
    }) as unknown as DeviceEvent['view'],
  };
}

test('an agent-state change is one info line with its fields', () => {
  const lines: { fields: object; message: string }[] = [];
  const log = switchEventLogger({ info: (fields, message) => void lines.push({ fields, message }), isLevelEnabled: () => true });
  log(agentStateEvent({ count: 0 }));
  assert.deepEqual(lines, [{ message: 'agent state', fields: { dn: '5001', userId: 'u1', state: 'NotReady', workMode: 'AfterCallWork', reason: 'lunch' } }]);
});

test('above info, nothing of a line is built', () => {
  const reads = { count: 0 };
  let lines = 0;
  const log = switchEventLogger({ info: () => void lines++, isLevelEnabled: (level) => level !== 'info' && level !== 'debug' });
  log(agentStateEvent(reads));
  assert.equal(lines, 0);
  assert.equal(reads.count, 0, 'the event was not read');
});

test('a log without isLevelEnabled logs, and a sink that throws is contained', () => {
  let lines = 0;
  switchEventLogger({ info: () => void lines++ })(agentStateEvent({ count: 0 }));
  assert.equal(lines, 1);
  assert.doesNotThrow(() => switchEventLogger({ info: () => { throw new Error('sink down'); } })(agentStateEvent({ count: 0 })));
});
