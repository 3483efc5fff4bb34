/**
 * The call model's basic call flows, through the switch harness (virtual clock, simulated endpoints):
 * an inbound call through a routing point, routing to the longest-idle Ready agent, internal and
 * external dialling, forwarding and after-call work; each step's events are compared line by line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, defaultSettings } from '../helpers/switch-harness.js';

test('inbound call through routing point 7000: ring, answer, hold, retrieve, hang up', () => {
  const h = new Harness();
  h.loginReady('5001', '5002');
  h.take();
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '7000', { Account: '42' }));
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Ringing Inbound [+15551234]']);
  h.op('5001', callUuid, { name: 'Answer' });
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Inbound [+15551234]']);
  assert.deepEqual(h.mediaOf(callUuid), { '+15551234': ['5001'], '5001': ['+15551234'] });
  h.op('5001', callUuid, { name: 'Hold' });
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Held Inbound [+15551234]']);
  assert.deepEqual(h.mediaOf(callUuid), { '+15551234': [], '5001': [] });
  h.op('5001', callUuid, { name: 'Retrieve' });
  h.op('5001', callUuid, { name: 'Hangup' });
  assert.deepEqual(h.take(), [
    '5001 call #1 StatusChange Established Inbound [+15551234]',
    '5001 call #1 StatusChange Released Inbound [+15551234]',
  ]);
  assert.deepEqual(h.sw.callsOf('5001'), []);
  assert.equal(h.sw.media(callUuid), undefined);
});

test('routing picks the longest-idle Ready agent and queues when none is free', () => {
  const h = new Harness();
  h.loginReady('5002', '5001');
  const a = h.ok(h.sw.simulateInbound('+15550001', '7000')).callUuid;
  assert.deepEqual(h.sw.callsOf('5002'), [a]);
  const b = h.ok(h.sw.simulateInbound('+15550002', '7000')).callUuid;
  assert.deepEqual(h.sw.callsOf('5001'), [b]);
  const c = h.ok(h.sw.simulateInbound('+15550003', '7000')).callUuid;
  assert.deepEqual(h.sw.media(c)?.map((p) => p.phoneNumber), ['+15550003', '7000']);
  h.op('5002', a, { name: 'Answer' });
  h.op('5002', a, { name: 'Hangup' });
  assert.deepEqual(h.sw.callsOf('5002'), [c], 'queued call goes to the agent that became free');
});

test('internal dial: Dialing/Ringing then Established both sides; capabilities from the table', () => {
  const h = new Harness();
  h.loginReady('5001', '5002');
  h.take();
  const { callUuid } = h.ok(h.sw.dial('5001', { phoneNumber: '5002' }));
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Dialing Internal [5002]', '5002 call #1 StatusChange Ringing Internal [5001]']);
  assert.deepEqual(h.sw.callView(callUuid, '5001')?.capabilities, ['Hangup', 'SendDtmf', 'AttachUserData', 'UpdateUserData', 'DeleteUserData', 'DeleteUserDataPair']);
  h.op('5002', callUuid, { name: 'Answer' });
  // legs of one call are reported in the order they joined it
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Internal [5002]', '5002 call #1 StatusChange Established Internal [5001]']);
  const r = h.sw.callOperation('5001', callUuid, { name: 'Retrieve' });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /Retrieve is not possible now: your leg of call .* is Established/);
});

test('external number answers after the configured delay; dial failures report Error then Released', () => {
  const h = new Harness(defaultSettings({ externalAnswerDelayMs: 3000 }));
  h.loginReady('5001', '5002');
  h.take();
  const { callUuid } = h.ok(h.sw.dial('5001', { phoneNumber: '+442071234567' }));
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Dialing Outbound [+442071234567]']);
  h.clock.advance(2999);
  assert.deepEqual(h.take(), []);
  h.clock.advance(1);
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Established Outbound [+442071234567]']);
  h.op('5001', callUuid, { name: 'Hangup' });
  h.take();
  h.ok(h.sw.setDoNotDisturb('5002', true));
  h.ok(h.sw.dial('5001', { phoneNumber: '5002' }));
  assert.deepEqual(h.take(), [
    '5002 device Ready dnd',
    '5001 call #2 StatusChange Dialing Internal [5002]',
    '5001 call #2 Error Dialing Internal [5002] error=1003',
    '5001 call #2 StatusChange Released Internal [5002]',
  ]);
  h.ok(h.sw.dial('5001', { phoneNumber: '123' }));
  assert.deepEqual(h.take(), [
    '5001 call #3 StatusChange Dialing Internal [123]',
    '5001 call #3 Error Dialing Internal [123] error=1001',
    '5001 call #3 StatusChange Released Internal [123]',
  ]);
});

test('forwarding sends the call to the destination', () => {
  const h = new Harness();
  h.loginReady('5001', '5002', '5003');
  h.ok(h.sw.setForward('5002', '5003'));
  h.take();
  const { callUuid } = h.ok(h.sw.dial('5001', { phoneNumber: '5002' }));
  assert.deepEqual(h.sw.callsOf('5003'), [callUuid]);
  assert.deepEqual(h.sw.callsOf('5002'), []);
});

test('after-call work: wrap-up then back to Ready, routing skips agents in ACW', () => {
  const h = new Harness(defaultSettings({ wrapUpTime: 10 }));
  h.loginReady('5001');
  const { callUuid } = h.ok(h.sw.simulateInbound('+15550001', '7000'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.take();
  h.ok(h.sw.simulateExternalHangup(callUuid));
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Released Inbound [+15550001]', '5001 device NotReady/AfterCallWork']);
  const second = h.ok(h.sw.simulateInbound('+15550002', '7000')).callUuid;
  assert.deepEqual(h.sw.callsOf('5001'), [], 'agent in ACW is skipped');
  h.clock.advance(10_000);
  assert.deepEqual(h.sw.callsOf('5001'), [second]);
});
