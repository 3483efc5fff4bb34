/**
 * Regressions for defects found in review: each test failed before its fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/switch-harness.js';

const C = '+15551234';

test('routing-point NextCall: a call skipped because the supervisor was busy does not use up the NextCall', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.ok(h.sw.setAgentState('5001', { state: 'NotReady' }));
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'NextCall', targetDn: '7000' }));
  const c1 = h.ok(h.sw.simulateInbound(C, '7000')).callUuid;
  const own = h.ok(h.sw.dial('5101', { phoneNumber: '+15559990000' })).callUuid; // supervisor busy
  h.ok(h.sw.setAgentState('5001', { state: 'Ready' }));
  h.op('5001', c1, { name: 'Answer' });
  assert.ok(!h.sw.callsOf('5101').includes(c1), 'skipped while busy');
  h.ok(h.sw.simulateExternalHangup(c1));
  h.op('5101', own, { name: 'Hangup' });
  const c2 = h.ok(h.sw.simulateInbound('+15550002', '7000')).callUuid;
  h.op('5001', c2, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [c2], 'the next call is monitored');
});

test('routing-point NextCall: a consultation through the routing point does not use it up; the transferred call is monitored', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  const x = h.ok(h.sw.simulateInbound(C, '5001')).callUuid;
  h.op('5001', x, { name: 'Answer' });
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'NextCall', targetDn: '7000' }));
  h.ok(h.sw.setAgentState('5001', { state: 'NotReady' })); // so the call does not come back to 5001
  h.op('5001', x, { name: 'InitiateTransfer', destination: { phoneNumber: '7000' } });
  h.op('5001', x, { name: 'CompleteTransfer' }); // x now waits at 7000
  h.loginReady('5002');
  h.op('5002', x, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [x]);
});

test('a held call cannot be retrieved while the same DN has another call ringing or dialing', () => {
  const h = new Harness();
  h.loginReady('5001');
  const c1 = h.ok(h.sw.simulateInbound(C, '5001')).callUuid;
  h.op('5001', c1, { name: 'Answer' });
  h.op('5001', c1, { name: 'Hold' });
  const c2 = h.ok(h.sw.simulateInbound('+15550002', '5001')).callUuid;
  const r = h.sw.callOperation('5001', c1, { name: 'Retrieve' });
  assert.equal(r.ok, false);
  h.op('5001', c2, { name: 'Answer' });
  assert.deepEqual([h.sw.callView(c1, '5001')!.state, h.sw.callView(c2, '5001')!.state], ['Held', 'Established']);
  assert.ok(h.sw.callView(c1, '5001')!.capabilities.includes('SwapCalls'));
});

test('an agent that rejected a routed call is offered it again once Ready again, before later calls', () => {
  const h = new Harness();
  h.loginReady('5001');
  const c1 = h.ok(h.sw.simulateInbound(C, '7000')).callUuid;
  h.op('5001', c1, { name: 'Reject' });
  h.ok(h.sw.setAgentState('5001', { state: 'NotReady' }));
  const c2 = h.ok(h.sw.simulateInbound('+15550002', '7000')).callUuid;
  h.ok(h.sw.setAgentState('5001', { state: 'Ready' }));
  assert.deepEqual(h.sw.callsOf('5001'), [c1], 'the older call comes first');
  assert.ok(h.sw.media(c2), 'the later call is still queued');
});

test('MuteMonitoredUser is not offered while no agent is on the monitored call', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Call', span: 'AllCalls', targetDn: '5001' }));
  const x = h.ok(h.sw.simulateInbound(C, '5001')).callUuid;
  h.op('5001', x, { name: 'Answer' });
  assert.ok(h.sw.callView(x, '5101')!.capabilities.includes('MuteMonitoredUser'));
  h.ok(h.sw.setAgentState('5001', { state: 'NotReady' }));
  h.op('5001', x, { name: 'SingleStepTransfer', destination: { phoneNumber: '7000' } });
  assert.ok(!h.sw.callView(x, '5101')!.capabilities.includes('MuteMonitoredUser'));
});

test('DeleteUserDataPair of a name that only exists on Object.prototype is refused', () => {
  const h = new Harness();
  h.loginReady('5001');
  const x = h.ok(h.sw.simulateInbound(C, '5001')).callUuid;
  h.op('5001', x, { name: 'Answer' });
  for (const key of ['toString', 'constructor', '__proto__']) {
    const r = h.sw.callOperation('5001', x, { name: 'DeleteUserDataPair', key });
    assert.equal(!r.ok && r.error.code, 'InvalidValue', key);
  }
});
