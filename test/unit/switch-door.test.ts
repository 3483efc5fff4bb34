/**
 * The command door and the endpoints port: an exception in a handler, a timer, a listener or an
 * endpoint effect never escapes the switch and is logged; the table of legal moves; facts fed by
 * endpoints (busy, hold/transfer requested on the phone, DTMF, hang-up); auditAvailable; events
 * carry their recipient's userId.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorOf } from '../../src/endpoints/port.js';
import type { Endpoints } from '../../src/endpoints/port.js';
import { isLegalMove, assertLegalMove } from '../../src/switch/moves.js';
import { Harness } from '../helpers/switch-harness.js';
import { fakePhoneHarness } from '../helpers/switch-contract.js';

const errorsOf = (h: Harness) => h.errors.map((e) => `${e.msg}: ${String((e.o as { err?: unknown }).err)}`);

function answered(h: Harness): string {
  h.loginReady('5001', '5002');
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.take();
  return callUuid;
}

test('a throwing handler: the command fails with Internal, is logged, and the switch goes on consistently', () => {
  const h = new Harness(undefined, { callHandlers: { Hold: () => { throw new Error('hold exploded'); } } });
  const callUuid = answered(h);
  const r = h.sw.callOperation('5001', callUuid, { name: 'Hold' });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'Internal');
  assert.match(!r.ok ? r.error.message : '', /could not complete Hold/);
  assert.deepEqual(errorsOf(h), ['switch command failed: Error: hold exploded']);
  h.errors.length = 0;
  assert.equal(h.sw.callView(callUuid, '5001')?.state, 'Established');
  h.op('5001', callUuid, { name: 'Hangup' });
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Released Inbound [+15551234]']);
});

test('a throwing listener is logged; the other listeners and the switch go on', () => {
  const h = new Harness();
  h.sw.onEvent(() => { throw new Error('listener exploded'); });
  const seen: string[] = [];
  h.sw.onEvent((e) => seen.push(e.kind));
  h.loginReady('5001');
  assert.ok(seen.includes('device'), 'the listener after the throwing one still got the events');
  assert.ok(h.errors.length > 0 && h.errors.every((e) => e.msg === 'switch event listener failed'));
  h.errors.length = 0;
  assert.deepEqual(h.take(), ['5001 device NotReady', '5001 device Ready']);
});

test('a throwing timer is logged and does not escape the clock; later timers still fire', () => {
  const h = new Harness(undefined, {
    endpoints: (host, simulated) => {
      host.timer(100, 'bad timer', () => { throw new Error('timer exploded'); });
      return selectorOf(simulated);
    },
  });
  h.loginReady('5001'); // advances the clock past the bad timer
  assert.deepEqual(errorsOf(h), ['switch command failed: Error: timer exploded']);
  h.errors.length = 0;
  h.take();
  h.ok(h.sw.dial('5001', { phoneNumber: '+15559876543' }));
  h.clock.advance(1000);
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Dialing Outbound [+15559876543]', '5001 call #1 StatusChange Established Outbound [+15559876543]']);
});

test('a throwing endpoint effect is logged; the call model keeps its decision', () => {
  const failing = (simulated: Endpoints): Endpoints => ({ ...simulated, name: 'failing', offer: () => { throw new Error('offer exploded'); } , answer: () => 'Answered', release: () => undefined, moveLeg: () => undefined, setMedia: () => undefined, sendDtmf: () => undefined, record: () => undefined, stop: () => undefined });
  const h = new Harness(undefined, { endpoints: (_host, simulated) => selectorOf(simulated, [{ endpoints: failing(simulated), serves: (leg) => leg.dn === '5002' }]) });
  h.loginReady('5001', '5002');
  h.take();
  const { callUuid } = h.ok(h.sw.dial('5001', { phoneNumber: '5002' }));
  assert.deepEqual(errorsOf(h), ['endpoint effect failed: Error: offer exploded']);
  h.errors.length = 0;
  assert.deepEqual(h.take(), ['5001 call #1 StatusChange Dialing Internal [5002]', '5002 call #1 StatusChange Ringing Internal [5001]']);
  h.op('5002', callUuid, { name: 'Answer' });
  assert.equal(h.sw.callView(callUuid, '5001')?.state, 'Established');
});

test('the table of legal party-state moves: Released is final, unknown moves throw', () => {
  assert.equal(isLegalMove('Ringing', 'Established'), true);
  assert.equal(isLegalMove('Established', 'Held'), true);
  assert.equal(isLegalMove('Released', 'Established'), false);
  assert.equal(isLegalMove('Held', 'Ringing'), false);
  assert.equal(isLegalMove('Released', 'Released'), false);
  assert.throws(() => assertLegalMove('Dialing', 'Held', 'test'), /illegal party-state move Dialing -> Held/);
});

test('facts from phones: busy, hold and retrieve on the phone, DTMF, a blind transfer, hang-up', () => {
  const h = fakePhoneHarness();
  h.loginReady('5001', '5002', '5003');
  h.take();
  const { callUuid: busy } = h.ok(h.sw.dial('5001', { phoneNumber: '5002' }));
  h.phones.host.fact({ kind: 'Busy', leg: { callUuid: busy, dn: '5002' } });
  assert.deepEqual(h.take(), [
    '5001 call #1 StatusChange Dialing Internal [5002]',
    '5002 call #1 StatusChange Ringing Internal [5001]',
    '5001 call #1 Error Dialing Internal [5002] error=1002',
    '5001 call #1 StatusChange Released Internal [5002]',
    '5002 call #1 StatusChange Released Internal [5001]',
  ]);
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  h.take();
  const leg = { callUuid, dn: '5001' };
  h.phones.host.fact({ kind: 'HoldRequested', leg });
  h.phones.host.fact({ kind: 'HoldRequested', leg }); // not legal while held: ignored
  h.phones.host.fact({ kind: 'RetrieveRequested', leg });
  h.phones.host.fact({ kind: 'Dtmf', leg, digits: '42' });
  h.phones.host.fact({ kind: 'TransferRequested', leg, destination: '5003' });
  h.phones.host.fact({ kind: 'HungUp', leg: { callUuid, dn: '5003' } });
  assert.deepEqual(h.take(), [
    '5001 call #2 StatusChange Held Inbound [+15551234]',
    '5001 call #2 StatusChange Established Inbound [+15551234]',
    '5001 call #2 DtmfSent Established Inbound [+15551234] digits=42',
    '5001 call #2 StatusChange Released Inbound [+15551234,5003]',
    '5003 call #2 StatusChange Ringing Inbound [+15551234]',
    '5003 call #2 StatusChange Released Inbound [+15551234]',
  ]);
  assert.equal(h.sw.media(callUuid), undefined);
  assert.ok(h.phones.effects.includes('answer 5001'), 'GWS Answer reached the phone');
  assert.ok(h.phones.effects.includes('release 5003'));
});

test('the mixer gets every media matrix of a call through setMedia', () => {
  const h = fakePhoneHarness();
  h.loginReady('5001');
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  assert.deepEqual(h.phones.mixer.get(callUuid), h.sw.media(callUuid));
  h.op('5001', callUuid, { name: 'SendDtmf', digits: '9' });
  assert.ok(h.phones.effects.includes('dtmf 5001 9'));
  h.op('5001', callUuid, { name: 'Hangup' });
  assert.equal(h.phones.mixer.has(callUuid), false, 'an ended call leaves the mixer');
});

test('auditAvailable false: the supervisor is not joined, the join is audited as Skipped/AuditUnavailable', () => {
  let available = false;
  const h = new Harness(undefined, { auditAvailable: () => available });
  h.loginReady('5001');
  h.ok(h.sw.login('5101', { userId: 'u5101', isAgent: false }));
  h.ok(h.sw.monitor('5101', { mode: 'ListenIn', scope: 'Agent', span: 'AllCalls', targetDn: '5001' }));
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
  h.op('5001', callUuid, { name: 'Answer' });
  assert.deepEqual(h.take((l) => l.includes('audit')), [
    '5101 audit Armed ListenIn/AllCalls/Agent ->5001',
    '5101 audit Skipped ListenIn/AllCalls/Agent ->5001 agent=5001 #1 AuditUnavailable',
  ]);
  assert.deepEqual(h.sw.callsOf('5101'), []);
  available = true;
  h.op('5001', callUuid, { name: 'Hangup' });
  const next = h.ok(h.sw.simulateInbound('+15551234', '5001')).callUuid;
  h.op('5001', next, { name: 'Answer' });
  assert.deepEqual(h.sw.callsOf('5101'), [next], 'joined again once the audit is available');
});

test('call and device events carry the userId logged in at their DN', () => {
  const h = new Harness();
  h.loginReady('5001');
  const { callUuid } = h.ok(h.sw.simulateInbound('+15551234', '5001'));
  const call = h.events.find((e) => e.kind === 'call' && e.callUuid === callUuid);
  const device = h.events.find((e) => e.kind === 'device');
  assert.equal(call?.kind === 'call' && call.userId, 'u5001');
  assert.equal(device?.kind === 'device' && device.userId, 'u5001');
  h.ok(h.sw.logout('5001'));
  const last = h.events.at(-1);
  assert.equal(last?.kind === 'device' && last.userId, 'u5001', 'the logout is still addressed to the user who ended the session');
  h.op('5001', callUuid, { name: 'Answer' });
  const after = h.events.filter((e) => e.kind === 'call').at(-1);
  assert.equal(after?.kind === 'call' && after.userId, undefined, 'nobody logged in: no userId');
});
