/**
 * The call model's agent presence rules, through the switch harness: forwarding and DND, rejection
 * and ring-no-answer, the call fields of each view, wrap-up variants, sessions, and the device event
 * that confirms every agent-state request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, defaultSettings } from '../helpers/switch-harness.js';
import { SimulatedSwitch } from '../../src/switch/simulated.js';
import { VirtualClock, countingIds } from '../../src/switch/clock.js';

const C = '+15551234';

test('forwarding and DND apply to transfers and routed calls too', () => {
  const h = new Harness();
  h.loginReady('5001', '5002', '5003');
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.ok(h.sw.setForward('5002', '5003'));
  h.op('5001', callUuid, { name: 'SingleStepTransfer', destination: { phoneNumber: '5002' } });
  assert.deepEqual(h.sw.callsOf('5003'), [callUuid], 'transfer followed the forward');
  h.op('5003', callUuid, { name: 'Answer' });
  h.ok(h.sw.setDoNotDisturb('5001', true));
  h.take();
  h.op('5003', callUuid, { name: 'SingleStepTransfer', destination: { phoneNumber: '5001' } });
  assert.deepEqual(h.take(), ['5003 call #1 Error Established Inbound [+15551234] error=1003']);
  // routing skips agents in DND
  h.ok(h.sw.setForward('5002', null));
  const r = h.ok(h.sw.simulateInbound('+15550009', '7000')).callUuid;
  assert.deepEqual(h.sw.callsOf('5002'), [r]);
});

test('a routed call rejected by one agent goes to the next; an internal reject fails the caller', () => {
  const h = new Harness();
  h.loginReady('5001', '5002', '5003');
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.op('5001', callUuid, { name: 'Reject' });
  assert.deepEqual(h.sw.callsOf('5002'), [callUuid]);
  h.take();
  const d = h.ok(h.sw.dial('5003', { phoneNumber: '5001' })).callUuid;
  h.op('5001', d, { name: 'Reject' });
  assert.deepEqual(h.take(), [
    '5003 call #2 StatusChange Dialing Internal [5001]',
    '5001 call #2 StatusChange Ringing Internal [5003]',
    '5003 call #2 Error Dialing Internal [5001] error=1005',
    '5003 call #2 StatusChange Released Internal [5001]',
    '5001 call #2 StatusChange Released Internal [5003]',
  ]);
});

test('ring-no-answer: routed calls move on, direct calls fail with NoAnswer', () => {
  const h = new Harness(defaultSettings({ ringNoAnswerMs: 15000 }));
  h.loginReady('5001', '5002');
  const { callUuid } = h.ok(h.sw.simulateInbound(C, '7000'));
  h.clock.advance(15000);
  assert.deepEqual(h.sw.callsOf('5002'), [callUuid]);
  h.op('5002', callUuid, { name: 'Answer' });
  h.take();
  h.ok(h.sw.setAgentState('5001', { state: 'NotReady' }));
  const d = h.ok(h.sw.dial('5001', { phoneNumber: '5003' })).callUuid;
  h.take();
  h.clock.advance(15000);
  assert.deepEqual(h.take().slice(0, 2), ['5001 call #2 Error Dialing Internal [5003] error=1004', '5001 call #2 StatusChange Released Internal [5003]']);
  assert.equal(h.sw.callView(d, '5001'), undefined);
});

test('call fields per view: ani, dnis, callType for inbound, outbound and internal', () => {
  const h = new Harness();
  h.loginReady('5001', '5002');
  const inbound = h.ok(h.sw.simulateInbound(C, '7000')).callUuid;
  const v = h.sw.callView(inbound, '5001')!;
  assert.equal(v.ani, C);
  assert.equal(v.dnis, '7000');
  assert.equal(v.callType, 'Inbound');
  const out = h.ok(h.sw.dial('5002', { phoneNumber: '+3312345678' })).callUuid;
  const o = h.sw.callView(out, '5002')!;
  assert.deepEqual([o.callType, o.ani, o.dnis], ['Outbound', '5002', '+3312345678']);
  h.op('5001', inbound, { name: 'Answer' });
  h.op('5001', inbound, { name: 'Hangup' });
  const internal = h.ok(h.sw.dial('5001', { phoneNumber: '5003' })).callUuid;
  const i = h.sw.callView(internal, '5001')!;
  assert.deepEqual([i.callType, i.ani, i.dnis], ['Internal', undefined, '5003']);
});

test('wrap-up: per-agent override, afterWrapUp NotReady, and AfterCallWork with wrapUpTime', () => {
  const clock = new VirtualClock();
  const sw = new SimulatedSwitch({ clock, ids: countingIds() });
  sw.configure({
    id: 'cc',
    settings: defaultSettings({ wrapUpTime: 30, afterWrapUp: 'NotReady' }),
    dns: [
      { number: '5001', kind: 'Extension', contactCenterId: 'cc', wrapUpTime: 5 },
      { number: '7000', kind: 'RoutingPoint', contactCenterId: 'cc' },
    ],
  });
  sw.login('5001', { userId: 'u', isAgent: true });
  sw.setAgentState('5001', { state: 'Ready' });
  const { callUuid } = (sw.simulateInbound(C, '7000') as { ok: true; value: { callUuid: string } }).value;
  sw.callOperation('5001', callUuid, { name: 'Answer' });
  sw.callOperation('5001', callUuid, { name: 'Hangup' });
  assert.deepEqual(sw.device('5001')!.agentState, { state: 'NotReady', workMode: 'AfterCallWork' });
  clock.advance(5000);
  assert.deepEqual(sw.device('5001')!.agentState, { state: 'NotReady' });
  sw.setAgentState('5001', { state: 'NotReady', workMode: 'AfterCallWork', wrapUpTime: 2 });
  clock.advance(2000);
  assert.deepEqual(sw.device('5001')!.agentState, { state: 'NotReady' });
  assert.equal(sw.setAgentState('9999', { state: 'Ready' }).ok, false);
});

test('agent state requires a session; logout ends it', () => {
  const h = new Harness();
  const r = h.sw.setAgentState('5001', { state: 'Ready' });
  assert.equal(!r.ok && r.error.code, 'InvalidState');
  h.loginReady('5001');
  h.ok(h.sw.logout('5001'));
  assert.deepEqual(h.sw.device('5001')!.agentState, { state: 'LoggedOut' });
  assert.equal(h.sw.device('5001')!.loggedIn, false);
});

test('every agent-state request is confirmed by a device event, even when nothing changed', () => {
  const h = new Harness();
  h.loginReady('5001');
  h.take();
  h.ok(h.sw.setAgentState('5001', { state: 'Ready' }));
  assert.deepEqual(h.take(), ['5001 device Ready']);
});

test('no after-call work for a call the agent never connected to (abandoned while ringing, removed while ringing)', () => {
  const h = new Harness(defaultSettings({ wrapUpTime: 10 }));
  h.loginReady('5001', '5002');
  const abandoned = h.ok(h.sw.simulateInbound('+15550001', '5001')).callUuid;
  h.ok(h.sw.simulateExternalHangup(abandoned));
  assert.deepEqual(h.sw.device('5001')!.agentState, { state: 'Ready' });
  const x = h.ok(h.sw.simulateInbound('+15550002', '5001')).callUuid;
  h.op('5001', x, { name: 'Answer' });
  h.op('5001', x, { name: 'SingleStepConference', destination: { phoneNumber: '5002' } });
  h.op('5001', x, { name: 'RemoveParticipantFromConference', participant: '5002' });
  assert.deepEqual(h.sw.device('5002')!.agentState, { state: 'Ready' }, 'removed while ringing');
});
